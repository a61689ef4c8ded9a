"""The operations console: server-rendered pages (Jinja2 + htmx) over the capability services.

`install_console(app, services)` (web/app.py) adds the pages to an application; the web face
never imports the API face (zhiyun.server composes the two).
"""
