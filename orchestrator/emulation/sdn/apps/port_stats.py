"""Runs beside every controller app: notes each switch that connects, and
asks every connected switch for its port counters once a second, writing one
JSON line per port and reply to the file named by APPLAB_PORT_STATS_FILE.

Lines: ``{"event": "connected", "dpid", "t"}`` and ``{"dpid", "port", "t",
"rx_bytes", "tx_bytes", "rx_packets", "tx_packets"}``, ``t`` the controller's
wall clock when the reply came."""
import json
import os
import time

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.lib import hub
from os_ken.ofproto import ofproto_v1_3

OUTPUT_ENV = "APPLAB_PORT_STATS_FILE"
INTERVAL_ENV = "APPLAB_PORT_STATS_INTERVAL_S"


class PortStats(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.interval_s = float(os.environ.get(INTERVAL_ENV, "1"))
        self.output = open(os.environ[OUTPUT_ENV], "a", buffering=1)  # a line at a time
        self.datapaths = {}
        self.poller = hub.spawn(self.poll)

    def write(self, record):
        self.output.write(json.dumps(record) + "\n")

    @set_ev_cls(ofp_event.EventOFPStateChange, [MAIN_DISPATCHER, DEAD_DISPATCHER])
    def state_change(self, ev):
        datapath = ev.datapath
        if ev.state == MAIN_DISPATCHER:
            self.datapaths[datapath.id] = datapath
            self.write({"event": "connected", "dpid": datapath.id, "t": time.time()})
        elif datapath.id in self.datapaths:
            del self.datapaths[datapath.id]
            self.write({"event": "disconnected", "dpid": datapath.id, "t": time.time()})

    def poll(self):
        while True:
            for datapath in list(self.datapaths.values()):
                parser = datapath.ofproto_parser
                datapath.send_msg(parser.OFPPortStatsRequest(datapath, 0,
                                                             datapath.ofproto.OFPP_ANY))
            hub.sleep(self.interval_s)

    @set_ev_cls(ofp_event.EventOFPPortStatsReply, MAIN_DISPATCHER)
    def port_stats_reply(self, ev):
        now = time.time()
        for stat in ev.msg.body:
            if stat.port_no > ev.msg.datapath.ofproto.OFPP_MAX:
                continue  # the switch's own LOCAL port
            self.write({"dpid": ev.msg.datapath.id, "port": stat.port_no, "t": now,
                        "rx_bytes": stat.rx_bytes, "tx_bytes": stat.tx_bytes,
                        "rx_packets": stat.rx_packets, "tx_packets": stat.tx_packets})
