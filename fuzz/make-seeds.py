#!/usr/bin/env python3
"""Writes fuzz/corpus/TARGET/ seed inputs from the protocol fixtures (tests/data/fixtures, copies
of shared/protocols/fixtures) and configs/, in each target's input layout (see the targets'
comments). Run it again when fixtures change: ./fuzz/make-seeds.py"""

import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "data" / "fixtures"
OUT = ROOT / "fuzz" / "corpus"


def body_of(path):
    data = path.read_bytes()
    if data.startswith(b"HTTP/"):
        for sep in (b"\r\n\r\n", b"\n\n"):
            at = data.find(sep)
            if at >= 0:
                return data[at + len(sep):]
    return data


def split(n):
    return struct.pack("<H", n & 0xFFFF)


def write(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def stream_files():
    return sorted(p for p in FIX.rglob("*") if p.suffix in (".sse", ".ndjson")
                  or p.name.endswith("_stream.txt"))


def main():
    # Reproducers of fixed bugs (regression-*) stay; every other seed is written afresh.
    for old in OUT.rglob("*"):
        if old.is_file() and not old.name.startswith("regression-"):
            old.unlink()
    # Decoders: the split position, then a stream body.
    for p in stream_files():
        body = body_of(p)
        name = f"{p.parent.name}-{p.name}"
        if p.suffix == ".ndjson":
            write("fuzz_ndjson_decoder", name, split(len(body) // 2) + body)
        else:
            write("fuzz_sse_decoder", name, split(len(body) // 2) + body)
    write("fuzz_sse_decoder", "crlf-comments", split(9) + b": ping\r\n\r\nevent: e\r\ndata: a\r\n"
          b"data: b\r\n\r\nerror: x\n\nid: 1\nretry: 5\ndata\n\n")
    write("fuzz_ndjson_decoder", "crlf-blank", split(3) + b'{"a":1}\r\n\r\n  \n{"b":2}')

    # HTTP response parser: split, EOF flag, a whole response (chunked, Content-Length, to EOF).
    for i, p in enumerate(stream_files()[:6]):
        body = body_of(p)
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[k:k + 97]), body[k:k + 97])
                          for k in range(0, len(body), 97))
        wire = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
        write("fuzz_http_response_parser", f"chunked-{i}", split(len(wire) // 3) + b"\0" + wire)
    for p in sorted(FIX.rglob("*.json"))[:6]:
        body = body_of(p)
        wire = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nRetry-After: 2\r\n\r\n" % len(body)) + body
        write("fuzz_http_response_parser", f"length-{p.parent.name}-{p.stem}",
              split(len(wire) // 2) + b"\0" + wire)
    write("fuzz_http_response_parser", "to-eof", split(20) + b"\1" +
          b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
    write("fuzz_http_response_parser", "continue", split(30) + b"\0" +
          b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")

    # URL parsing: text as given to --url or base_url.
    for i, u in enumerate([b"http://localhost:8000", b"https://api.example.com/v1?api-version=2",
                           b"http://[::1]:11434/", b"http://127.0.0.1:8080/prefix/v1/",
                           b"https://h:443/a%20b?x=1&y", b"http://user:pw@host/",
                           b"localhost:8000", b"http://h/#frag", b"http://h/\r\nX: y"]):
        write("fuzz_url", f"url-{i}", u)

    # Adapters: flags, content type, split, header block, body (engine_harness.h).
    engines = {"vllm": "fuzz_engine_openai", "ollama": "fuzz_engine_ollama",
               "tgi": "fuzz_engine_tgi", "sglang": "fuzz_engine_sglang",
               "llamacpp": "fuzz_engine_llamacpp", "llamacpp-captured": "fuzz_engine_llamacpp"}
    statuses = {"400": 4, "404": 4, "422": 5, "429": 6, "503": 7}
    tgi_headers = b"".join(line + b"\n" for line in
                           (FIX / "tgi" / "generate_response_headers.txt").read_bytes()
                           .splitlines()[1:] if line)
    for folder, target in engines.items():
        for p in sorted((FIX / folder).iterdir()):
            # /metrics bodies are no adapter's response: fuzz_prometheus reads them.
            if p.suffix not in (".json", ".sse", ".ndjson", ".txt") or "request" in p.name or \
                    p.name.startswith("metrics"):
                continue
            body = body_of(p)
            name = p.stem
            stream = p.suffix in (".sse", ".ndjson") or name.endswith("_stream")
            native = (folder in ("ollama", "tgi", "sglang") and name.startswith("generate")) or \
                     name.startswith("completion_")
            chat = "chat" in name
            status = next((v for k, v in statuses.items() if k in name), 0)
            flags = (1 if native else 0) | (2 if chat else 0) | (4 if stream else 0) | status << 3
            if folder == "vllm":
                flags |= 0x80
            ctype = 2 if p.suffix == ".ndjson" else 1 if stream else 0
            headers = b""
            if folder == "tgi" and name == "generate_response":
                headers = tgi_headers
            if status == 6:
                headers = b"Retry-After: 3\n"
            headers = headers[:255]
            seed = bytes([flags, ctype]) + split(len(body) // 2) + bytes([len(headers)]) + \
                headers + body
            write(target, f"{folder}-{name}", seed)
    for folder, target in (("ollama", "fuzz_engine_openai"),):
        for p in sorted((FIX / folder).glob("openai_*.sse")):
            body = p.read_bytes()
            flags = 4 | (2 if "chat" in p.name else 0)
            write(target, f"{folder}-{p.stem}", bytes([flags, 1]) + split(len(body) // 2) + b"\0" +
                  body)

    # YAML loaders: the project's own configs.
    for p in sorted((ROOT / "configs" / "engines").glob("*.yaml")):
        write("fuzz_engine_config", p.name, p.read_bytes())
    write("fuzz_engine_config", "list.yaml",
          b"engines:\n  - {name: a, type: vllm, base_url: 'http://h:1', timeout: 5s}\n"
          b"  - name: b\n    type: ollama\n    base_url: http://h:2\n    retries: 2\n"
          b"    headers: {X-Team: perf}\n    auth: {api_key_env: KEY}\n")
    for p in sorted((ROOT / "configs" / "scenarios").glob("*.yaml")):
        write("fuzz_suite", p.name, p.read_bytes())

    # Datasets: flags (format, bad-record policy, turns, sample), read chunk, the file.
    sharegpt = (b'[{"conversations": [{"from": "system", "value": "s"}, {"from": "human", '
                b'"value": "u1"}, {"from": "gpt", "value": "a1 a1"}, {"from": "human", '
                b'"value": "u2"}]}, {"conversations": []}, {"id": 3, "conversations": '
                b'[{"from": "human", "value": "q\\u00e9"}]}]')
    jsonl = (b'{"prompt": "hello", "max_tokens": 12}\n{"messages": [{"role": "user", '
             b'"content": "hi"}]}\n\nnot json\n{"prompt": 3}\r\n')
    text = b"one prompt\nanother prompt\n\n  third\r\n"
    trace = b"# t\n0.0\n0.5,x\n\n1.25\n2\n"
    write("fuzz_dataset", "sharegpt", bytes([0x28 | 0]) + split(7) + sharegpt)
    write("fuzz_dataset", "sharegpt-2turns", bytes([0xC8]) + split(13) + sharegpt)
    write("fuzz_dataset", "jsonl", bytes([0xC1]) + split(5) + jsonl)
    write("fuzz_dataset", "jsonl-fail", bytes([0xC5]) + split(5) + jsonl)
    write("fuzz_dataset", "text", bytes([0xC2]) + split(3) + text)
    write("fuzz_dataset", "trace", bytes([0xC3]) + split(4) + trace)

    # Prometheus text: the split position, then a scrape body (fixtures and tricky forms).
    for p in sorted(FIX.rglob("metrics*")):
        if p.suffix not in (".prom", ".txt"):
            continue
        body = body_of(p)
        write("fuzz_prometheus", f"{p.parent.name}-{p.stem}", split(len(body) // 2) + body)
    tricky = {
        "openmetrics": b'# TYPE r counter\n# UNIT r requests\n# HELP r H\\\\ \\n.\n'
                       b'r_total{a="x\\"y\\\\z\\n",} 3 1.7e9 # {t="1"} 1\nr_created 1\n'
                       b'# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\n'
                       b'h_sum 1\nh_count 2\n# TYPE s summary\ns{quantile="0.5"} NaN\ns_sum 0\n'
                       b'# TYPE i info\ni_info{v="1"} 1\n# TYPE g gaugehistogram\n'
                       b'g_bucket{le="1"} 1\ng_bucket{le="+Inf"} 1\ng_gcount 1\ng_gsum 1\n# EOF\n',
        "crlf-values": b'a +Inf\r\nb -Inf\r\nc NaN\r\nd 1e-3 -5\r\ne{} .5\r\n'
                       b'f { x = "1" , } 2\r\n',
        "histograms": b'# TYPE t histogram\nt_bucket{e="0",le="1"} 2\nt_bucket{e="0",le="+Inf"} 3\n'
                      b't_bucket{le="1.0",e="1"} 5\nt_bucket{e="1",le="+Inf"} 4\n'
                      b't_bucket{e="2",le="-Inf"} 1\nt_bucket{e="2",le="2"} 1\n'
                      b't_sum{e="0"} 1\nt_count{e="0"} 3\n# TYPE u histogram\nu_bucket{le="3"} 1\n',
        "closed-family": b'# TYPE x gauge\nx 1\ny 2\nx 3\n# TYPE x counter\n# HELP y late\n',
        "eof-then-data": b"x 1\n# EOF\ny 2\n",
        "bad-escape": b'x{a="\\q"} 1\n',
    }
    for name, body in tricky.items():
        write("fuzz_prometheus", name, split(len(body) // 3) + body)


if __name__ == "__main__":
    main()
