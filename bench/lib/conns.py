#!/usr/bin/env python3
"""conns.py PORT N: N sequential HTTP/1.1 Connection: close requests (connect, send, read to EOF, close)."""
import socket, sys
port=int(sys.argv[1]); n=int(sys.argv[2])
req=b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
for i in range(n):
    s=socket.create_connection(("127.0.0.1",port))
    s.sendall(req)
    while True:
        d=s.recv(4096)
        if not d: break
    s.close()
