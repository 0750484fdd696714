#!/usr/bin/env python3
"""A small Chrome DevTools Protocol client (standard library only) for the status page's browser test.

    cdp.py PORT navigate URL            open URL in the browser's page
    cdp.py PORT wait EXPRESSION SECONDS poll EXPRESSION (JavaScript) every 50 ms until it is truthy; prints
                                        {"value": ..., "at": <browser's Date.now() when it first held>}
    cdp.py PORT eval EXPRESSION         print the expression's value as JSON
    cdp.py PORT screenshot PATH         save a PNG of the page

Each call connects to the page anew; the page itself stays loaded between calls (no reload).
Exit status 1 with a one-line message on stderr when a wait times out or the browser refuses a command.
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request
from urllib.parse import urlparse


class WebSocket:
    """Just enough RFC 6455 for CDP: one text frame per message, client frames masked."""

    def __init__(self, url):
        parsed = urlparse(url)
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.hostname}:{parsed.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("the browser closed the connection during the handshake")
            answer += chunk
        head, self.buffer = answer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("the browser refused the WebSocket: " + head.split(b"\r\n")[0].decode())

    def send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", length)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == 8:
                raise RuntimeError("the browser closed the connection")
            if opcode in (0, 1, 2):
                message += payload
                if first & 0x80:
                    return message.decode()


class Page:
    def __init__(self, port):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            raise RuntimeError("the browser has no page open")
        self.socket = WebSocket(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            detail = result["exceptionDetails"]
            raise RuntimeError("the page threw: " + detail.get("exception", {}).get("description", detail.get("text", "?")))
        return result.get("result", {}).get("value")


def main(arguments):
    if len(arguments) < 3:
        raise RuntimeError("usage: cdp.py PORT navigate URL | wait EXPRESSION SECONDS | eval EXPRESSION | screenshot PATH")
    page = Page(int(arguments[1]))
    command = arguments[2]
    if command == "navigate":
        page.call("Page.navigate", url=arguments[3])
    elif command == "eval":
        print(json.dumps(page.evaluate(arguments[3])))
    elif command == "wait":
        deadline = time.monotonic() + float(arguments[4])
        last = None
        while True:
            try:
                last = page.evaluate(f"(() => {{ const v = ({arguments[3]}); return v ? {{value: v, at: Date.now()}} : null; }})()")
            except RuntimeError as error:
                last = str(error)
            if isinstance(last, dict):
                print(json.dumps(last))
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"never true within {arguments[4]} s: {arguments[3]} (last: {last})")
            time.sleep(0.05)
    elif command == "screenshot":
        data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(arguments[3], "wb") as file:
            file.write(base64.b64decode(data))
    else:
        raise RuntimeError(f"unknown command '{command}'")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception as error:  # one line for the test's failure message
        print(f"cdp.py: {error}", file=sys.stderr)
        sys.exit(1)
