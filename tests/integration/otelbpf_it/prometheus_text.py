"""Reading the agent's Prometheus endpoint without a Prometheus server: one scrape of
/metrics parsed into samples (the text exposition format, enough of it for our own output)."""

import re
import urllib.request

# name{label="value",...} value   (no timestamps: the agent writes none)
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port: int, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as response:
        return response.read().decode()


def samples(text: str) -> list:
    """[(name, {label: value}, float)] of every sample line."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match:
            labels = dict(_LABEL.findall(match.group(2) or ""))
            out.append((match.group(1), labels, float(match.group(3))))
    return out


def value(text: str, name: str, **labels) -> float:
    """The one sample of `name` whose labels include `labels`; fails when there is not
    exactly one (a missing series is a finding, not a zero)."""
    found = [v for n, ls, v in samples(text) if n == name and all(ls.get(k) == w for k, w in labels.items())]
    if len(found) != 1:
        raise AssertionError(f"expected one sample {name}{labels}, found {len(found)} in:\n"
                             + "\n".join(l for l in text.splitlines() if name in l))
    return found[0]
