"""The benchmark's hello world on CherryPy 18, with its default settings.

Only what the comparison needs is set: the port (from SERVER_SOCKET_PORT,
like the Go servers), logging off, and the production environment. The
thread pool (10), socket timeout, queue sizes and the rest stay at their
defaults. quickstart() subscribes CherryPy's signal handler, so SIGTERM
exits the engine the way a deployed CherryPy app stops.

One extra listener on the engine's start channel prints "engine-started"
to standard error once the HTTP server has started. CherryPy answers
requests a little before that, while its bus is still STARTING, and a
SIGTERM in that window makes it exit at once with status 70; the harness
waits for the line before it measures a stop.

Routes: GET / -> "Hello, world!" (text/plain); GET /slow -> the same after
two seconds, announced by the line "slow-start" on standard error.
"""

import os
import sys
import time

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        cherrypy.response.headers["Content-Type"] = "text/plain;charset=utf-8"
        return "Hello, world!"

    @cherrypy.expose
    def slow(self):
        sys.stderr.write("slow-start\n")
        sys.stderr.flush()
        time.sleep(2)
        return self.index()


def main():
    cherrypy.config.update(
        {
            "server.socket_host": os.environ.get("SERVER_SOCKET_HOST", "127.0.0.1"),
            "server.socket_port": int(os.environ.get("SERVER_SOCKET_PORT", "8080")),
            "environment": "production",
            "log.screen": False,
            "log.access_file": "",
            "log.error_file": "",
        }
    )
    cherrypy.engine.subscribe("start", announce_started, priority=99)
    cherrypy.quickstart(Root(), "/")


def announce_started():
    sys.stderr.write("engine-started\n")
    sys.stderr.flush()


if __name__ == "__main__":
    main()
