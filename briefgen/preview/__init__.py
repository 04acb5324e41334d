"""`briefgen preview`: a live preview of an issue or a pack in the browser.

    command.py   the click command (`preview`), host and folder checks
    run.py       the temporary folder, uvicorn, the loops; stopped by Ctrl-C
    server.py    the Starlette app: the page, its state, events, page images, downloads
    worker.py    the warm build process: the library's build, then the pages and problems
    pages.py     pages as images (pypdfium2) with their text; source line → page
    static/      the page's HTML, CSS and JavaScript (nothing from a CDN)
"""
