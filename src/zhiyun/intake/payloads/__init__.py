"""The channels' payloads in their own terms, each with its adapter to an IntakeDraft.

A pydantic model validates what a channel posts (422 with a message per field, nothing
stored) and an adapter turns it into an `IntakeDraft`: `hotlines.py` (12345, 城管热线,
区长直通车), `platforms.py` (grid, 110, 我为群众办实事, public opinion, environment),
`sensing.py` (remote sensing, IoT); `fields.py` is what they are made of. The registry of
channels that uses them is `zhiyun.intake.channels`.
"""
