"""Link emulation: the delay line, the TAP relay and the realizers that use them."""
