#!/usr/bin/env python3
"""sway-windows.py < TREE

Prints one line per window of `swaymsg -t get_tree -r` (on stdin):
"APP_ID OUTPUT FULLSCREEN TITLE", FULLSCREEN 1 when the window is
fullscreen on its workspace, 0 when not.
"""
import json
import sys


def walk(node, output):
    if node.get("type") == "output":
        output = node.get("name")
    if node.get("type") in ("con", "floating_con") and node.get("app_id") is not None:
        print("%s %s %d %s" % (node["app_id"], output, node.get("fullscreen_mode", 0),
                               node.get("name") or ""))
    for child in node.get("nodes", []) + node.get("floating_nodes", []):
        walk(child, output)


walk(json.load(sys.stdin), None)
