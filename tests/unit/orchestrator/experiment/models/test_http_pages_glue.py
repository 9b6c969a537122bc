from orchestrator.experiment.models.http_pages import measured_page_loads


def test_page_load_is_first_connect_to_last_byte_per_run():
    rows = [
        {"mode": "persistent", "run": "0", "connect_start": "0.0", "last_byte": "0.5"},
        {"mode": "persistent", "run": "0", "connect_start": "0.0", "last_byte": "0.9"},
        {"mode": "persistent", "run": "1", "connect_start": "0.1", "last_byte": "1.1"},
        {"mode": "http2", "run": "0", "connect_start": "0.0", "last_byte": "0.3"},
    ]
    loads = measured_page_loads(rows)
    assert loads == {"http2": [0.3], "persistent": [0.9, 1.0]}
