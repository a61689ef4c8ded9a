"""Sensing (感知): cameras, IoT sensors, drones and satellites raise alarms that are verified and become work orders."""
