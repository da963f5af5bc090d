"""Stores a text file as a document on a running glossd, over the line protocol
(Python's ssl, no Gloss code), for the scripts that need one document to work on.

Usage: put_document.py --port P --ca-file CA --token T --project P --id D --file F
"""
import argparse
import socket
import ssl


def quoted(text):
    """A protocol value in quotes, with the escapes the grammar defines."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029):
            out.append("\\u{%x}" % code)
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("--port", "--ca-file", "--token", "--project", "--id", "--file"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    with open(args.file, encoding="utf-8") as handle:
        text = handle.read()
    context = ssl.create_default_context(cafile=args.ca_file)
    context.check_hostname = False
    with context.wrap_socket(socket.create_connection(("127.0.0.1", int(args.port)))) as connection:
        stream = connection.makefile("rwb")
        stream.readline()
        request = "a AUTH token=%s\nd DOC-PUT project=%s id=%s title=%s text=%s\n" % (
            args.token, args.project, args.id, args.id, quoted(text))
        stream.write(request.encode("utf-8"))
        stream.flush()
        for _ in range(2):
            reply = stream.readline().decode("utf-8").rstrip("\n")
            if " ERR " in reply:
                raise SystemExit("glossd refused: " + reply)
        print("stored document %s in %s" % (args.id, args.project))


if __name__ == "__main__":
    main()
