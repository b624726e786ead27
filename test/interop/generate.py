"""Signed webhook cases from the schemes' official Python libraries, for the gem's suites to replay.

Run by `rake interop` inside tmp/interop-venv. Each scheme gets test/fixtures/interop/<scheme>.jsonl:
a first line naming the library versions, then one case a line. A case either asks the gem to sign
(`"kind": "sign"`: the gem's signature must equal the library's, byte for byte, so a library
receiver accepts what the gem sends) or to verify (`"kind": "verify"`: `library` is the library's
verdict, `expect` the gem's; they differ only where `deviation` says why the gem is stricter on
purpose). Bodies over 64 KiB are stored as {"repeat": chunk, "times": n}. Deterministic for a given
seed and set of library versions.
"""

import base64
import hashlib
import json
import os
import random
import sys
from datetime import datetime, timezone
from importlib.metadata import version
from unittest import mock

import standardwebhooks.webhooks as stdwh
import stripe
import svix
from slack_sdk.signature import Clock, SignatureVerifier
from twilio.request_validator import RequestValidator

NOW = 1_700_000_000
SEED = int(os.environ.get("INTEROP_SEED", "15"))
OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/interop"
rng = random.Random(SEED)

UNICODE = ["é", "ß", "中文", "😀", "\u0301", "\u200b", "\u2028", "ﬀ", "Ω", "\t", "\"", "\\", " "]


def text(max_len=60):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;=&?/+%{}[]\"'"
    out = []
    for _ in range(rng.randint(0, max_len)):
        out.append(rng.choice(UNICODE) if rng.random() < 0.1 else rng.choice(alphabet))
    return "".join(out)


def body():
    roll = rng.random()
    if roll < 0.08:
        return ""
    if roll < 0.11:
        chunk = text(40) or "x"
        return {"repeat": chunk, "times": (1 << 20) // max(1, len(chunk.encode()))}
    if roll < 0.5:
        return json.dumps({"event": text(12), "data": {"id": rng.randint(0, 10**9), "text": text()}}, ensure_ascii=rng.random() < 0.5)
    return text(300)


def expand(b):
    return b["repeat"] * b["times"] if isinstance(b, dict) else b


def tamper_text(s):
    if not s:
        return "x"
    i = rng.randrange(len(s))
    c = s[i]
    return s[:i] + ("y" if c != "y" else "z") + s[i + 1:]


def tamper_body(b):
    if isinstance(b, dict):
        return {"repeat": b["repeat"], "times": b["times"] + 1}
    return tamper_text(b)


def flip_base64(sig):
    raw = bytearray(base64.b64decode(sig))
    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    return base64.b64encode(bytes(raw)).decode()


def flip_hex(sig):
    i = rng.randrange(len(sig))
    return sig[:i] + ("0" if sig[i] != "0" else "1") + sig[i + 1:]


class Writer:
    def __init__(self, name, libraries):
        self.path = os.path.join(OUT, f"{name}.jsonl")
        self.lines = [json.dumps({"meta": {"scheme": name, "libraries": {lib: version(lib) for lib in libraries},
                                           "python": sys.version.split()[0], "seed": SEED, "now": NOW}})]

    def add(self, **case):
        if case.get("kind") == "verify":
            case.setdefault("expect", case["library"])
        self.lines.append(json.dumps(case, ensure_ascii=False))

    def close(self):
        with open(self.path, "w", encoding="utf-8") as f:
            f.write("\n".join(self.lines) + "\n")
        print(f"{self.path}: {len(self.lines) - 1} cases")


# --- Standard Webhooks (standardwebhooks, svix) -------------------------------------------------

class FixedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.fromtimestamp(NOW, tz=tz or timezone.utc)


def standard_verdict(secret, data, headers, svix_lib):
    try:
        with mock.patch.object(stdwh, "datetime", FixedDatetime):
            if svix_lib:
                svix.Webhook(secret).verify(data, headers)
            else:
                stdwh.Webhook(secret).verify(data, headers, json_parse=False)
        return True
    except Exception:  # the libraries raise other exceptions than their own on junk (ValueError)
        return False


def standard_secret():
    key = os.urandom(0) + bytes(rng.randrange(256) for _ in range(rng.choice([16, 23, 24, 32, 33, 64])))
    encoded = base64.b64encode(key).decode()
    form = rng.choice(["whsec", "whsec_unpadded", "whsec_newline", "bare", "bare_unpadded"])
    secret = {"whsec": "whsec_" + encoded, "whsec_unpadded": "whsec_" + encoded.rstrip("="),
              "whsec_newline": "whsec_" + encoded + "\n", "bare": encoded, "bare_unpadded": encoded.rstrip("=")}[form]
    return secret, form


def library_sign(secret, msg_id, ts, data):
    return stdwh.Webhook(secret).sign(msg_id, datetime.fromtimestamp(int(ts), tz=timezone.utc), data)


def standard():
    w = Writer("standard", ["standardwebhooks", "svix"])
    for n in range(220):
        secret, form = standard_secret()
        msg_id = "msg_" + "".join(rng.choice("abcdefghijkLMNOP0123456789") for _ in range(rng.randint(1, 27)))
        ts = str(NOW + rng.randint(-290, 290))
        b = body()
        data = expand(b)
        sig = library_sign(secret, msg_id, ts, data)
        base = dict(secret=secret, secret_form=form, id=msg_id, timestamp=ts, body=b)
        # The gem signs exactly what the library signs (so a library receiver accepts dispatch).
        w.add(kind="sign", case="sign", signature=sig, **base)
        svix_headers = rng.random() < 0.3
        family = "svix" if svix_headers else "webhook"

        def verify(case, signature=sig, deviation=None, expect=None, **changes):
            c = {**base, **changes}
            headers = {f"{family}-id": c["id"], f"{family}-timestamp": c["timestamp"], f"{family}-signature": signature}
            verdict = standard_verdict(c["secret"], expand(c["body"]), headers, svix_headers)
            extra = {"deviation": deviation, "expect": expect} if deviation else {}
            w.add(kind="verify", case=case, headers=headers, library=verdict, now=NOW,
                  **{k: v for k, v in c.items() if k in ("secret", "secret_form", "body")}, **extra)

        verify("valid")
        other = "v1," + base64.b64encode(os.urandom(0) + bytes(rng.randrange(256) for _ in range(32))).decode()
        rotation = [other, sig, "v2," + text(8).replace(" ", "").replace(",", "") or "v2,x"]
        rng.shuffle(rotation)
        verify("rotation", signature=" ".join(rotation))
        verify("tampered_body", body=tamper_body(b))
        verify("tampered_id", id=msg_id + "x")
        verify("tampered_timestamp", timestamp=str(int(ts) + 1))
        verify("tampered_signature", signature="v1," + flip_base64(sig[3:]))
        verify("other_secret", secret="whsec_" + base64.b64encode(b"another key of 24 bytes!").decode())
        verify("only_other_versions", signature=sig.replace("v1,", "v1a,"))
        if n % 4 == 0:
            old = str(NOW - 331)
            verify("expired_past", timestamp=old, signature=library_sign(secret, msg_id, old, data))
            new = str(NOW + 331)
            verify("expired_future", timestamp=new, signature=library_sign(secret, msg_id, new, data))
            verify("double_space_before_match", signature=f"{other}  {sig}")
            verify("entry_without_comma", signature=f"v1 {sig}")
        if n % 5 == 0:
            for spelling in ["0" + ts, ts + ".0", " " + ts]:
                verify("noncanonical_timestamp", timestamp=spelling, deviation="the libraries read the timestamp as "
                       "a float and sign its integer form; the gem refuses spellings other than canonical digits "
                       "rather than sign other text than it received (library senders send canonical digits)",
                       expect=False)
            verify("double_space_after_match", signature=f"{sig}  {other}", expect=False,
                   deviation="the libraries return on the first match before reaching the empty entry; the gem "
                   "refuses a list with any malformed entry")
    # Secrets the gem refuses: not base64 after whsec_, or nothing after it.
    for secret, note in [("whsec_***", "library: empty key"), ("whsec_", "library: empty key"),
                         ("whsec_ab-c_d", "library drops - and _ and uses another key than meant")]:
        w.add(kind="sign", case="refused_secret", secret=secret, id="msg_1", timestamp=str(NOW), body="{}",
              error="ArgumentError", note=note)
    w.close()


# --- Stripe --------------------------------------------------------------------------------------

def stripe_verdict(data, header, secret):
    try:
        with mock.patch("stripe._webhook.time.time", return_value=NOW):
            stripe.WebhookSignature.verify_header(data, header, secret, tolerance=300)
        return True
    except Exception:
        return False


def stripe_sig(secret, ts, data):
    return hashlib.new("sha256")  and __import__("hmac").new(secret.encode(), f"{ts}.{data}".encode(), "sha256").hexdigest()


def stripe_cases():
    w = Writer("stripe", ["stripe"])
    for n in range(150):
        secret = "whsec_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(32))
        ts = NOW + rng.randint(-290, 290)
        b = body()
        data = expand(b)
        header = stripe.WebhookSignature.generate_signature_header(data, secret, timestamp=ts)
        sig = header.split("v1=")[1]

        def verify(case, h=header, bb=b, s=secret, deviation=None, expect=None):
            extra = {"deviation": deviation, "expect": expect} if deviation else {}
            w.add(kind="verify", case=case, secret=s, body=bb, header=h, now=NOW,
                  library=stripe_verdict(expand(bb), h, s), **extra)

        verify("valid")
        other = "%064x" % rng.getrandbits(256)
        items = [f"v1={other}", f"v1={sig}", f"v0={other}", "x=1"]
        rng.shuffle(items)
        verify("rotation", h=f"t={ts}," + ",".join(items))
        verify("tampered_body", bb=tamper_body(b))
        verify("tampered_signature", h=f"t={ts},v1={flip_hex(sig)}")
        verify("tampered_timestamp", h=f"t={ts + 1},v1={sig}")
        verify("other_secret", s=secret + "x")
        verify("uppercase_hex", h=f"t={ts},v1={sig.upper()}")
        if n % 3 == 0:
            verify("space_after_comma", h=f"t={ts}, v1={sig}")
            verify("leading_zeros_sign_the_number", h=f"t=0{ts},v1={sig}")
            verify("leading_zeros_signed_as_text", h=f"t=0{ts},v1={stripe_sig(secret, '0' + str(ts), data)}")
            verify("first_t_counts", h=f"t={ts},t={ts + 7},v1={sig}")
            verify("second_t_ignored", h=f"t={ts + 7},t={ts},v1={sig}")
            verify("no_v1", h=f"t={ts},v0={sig}")
            verify("no_t", h=f"v1={sig}")
            old = NOW - 301
            verify("expired_past", h=f"t={old},v1={stripe_sig(secret, old, data)}")
        if n % 10 == 0:
            future = NOW + 1000
            verify("future_timestamp", h=f"t={future},v1={stripe_sig(secret, future, data)}", expect=False,
                   deviation="Stripe checks only the past; the gem's window is two-sided so a request dated "
                   "ahead cannot be replayed until then (Stripe never dates ahead)")
    w.close()


# --- Slack ---------------------------------------------------------------------------------------

class FixedClock(Clock):
    def now(self):
        return NOW


def slack_cases():
    w = Writer("slack", ["slack_sdk"])
    for n in range(100):
        secret = "%032x" % rng.getrandbits(128)
        ts = str(NOW + rng.randint(-290, 290))
        b = body()
        verifier = SignatureVerifier(secret, clock=FixedClock())
        sig = verifier.generate_signature(timestamp=ts, body=expand(b))

        def verify(case, t=ts, bb=b, s=sig, sec=secret):
            try:
                verdict = SignatureVerifier(sec, clock=FixedClock()).is_valid(expand(bb), t, s)
            except Exception:
                verdict = False
            w.add(kind="verify", case=case, secret=sec, timestamp=t, body=bb, signature=s, now=NOW, library=verdict)

        verify("valid")
        verify("tampered_body", bb=tamper_body(b))
        verify("tampered_signature", s="v0=" + flip_hex(sig[3:]))
        verify("tampered_timestamp", t=str(int(ts) + 1))
        verify("other_secret", sec=secret + "x")
        if n % 4 == 0:
            verify("no_prefix", s=sig[3:])
            verify("non_integer_timestamp", t="soon")
            zero = "0" + ts
            verify("leading_zero_signed_as_text", t=zero,
                   s=verifier.generate_signature(timestamp=zero, body=expand(b)))
            old = str(NOW - 301)
            verify("expired", t=old, s=verifier.generate_signature(timestamp=old, body=expand(b)))
    w.close()


# --- Twilio --------------------------------------------------------------------------------------

class MultiDict(dict):
    """name -> [values], read by RequestValidator.get_values through getall (as Flask's MultiDict)."""

    def getall(self, name):
        return self[name]


def twilio_url():
    scheme = rng.choice(["https", "http"])
    host = rng.choice(["example.com", "hooks.example.org", "[2001:db8::1]", "user@example.com",
                       "user:pass@example.com", "EXAMPLE.com"])
    port = rng.choice(["", "", f":{rng.randint(1024, 65535)}", ":443" if scheme == "https" else ":80"])
    path = rng.choice(["/twilio/sms", "/", "/a%20b/c", ""])
    query = rng.choice(["", "", "?foo=1&bar=2", "?", "?x=%C3%A9"])
    return f"{scheme}://{host}{port}{path}{query}"


def signed_urls(url):
    """The URLs a sender (or a proxy in between) might have signed for `url`."""
    from twilio.request_validator import add_port, remove_port
    from urllib.parse import urlparse

    parsed = urlparse(url)
    forms = {url, add_port(parsed), remove_port(parsed)}
    # The sane port-less form (what a careful sender signs), which twilio-python mangles for user
    # info with a password and for IPv6 hosts.
    if parsed.port:
        forms.add(url.replace(f":{parsed.port}", "", 1) if url.count(f":{parsed.port}") == 1 else url)
    return sorted(forms)


def mangled(url):
    """twilio-python's port-less form of `url` when that is not the URL without its port."""
    from twilio.request_validator import remove_port
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if not parsed.port:
        return set()
    stripped = remove_port(parsed)
    netloc = parsed.netloc
    sane = netloc[: netloc.rfind(":")]
    return set() if parsed._replace(netloc=sane).geturl() == stripped else {stripped}


def twilio_cases():
    from urllib.parse import urlencode
    w = Writer("twilio", ["twilio"])
    for n in range(160):
        token = "%032x" % rng.getrandbits(128)
        algorithm = "HMAC_SHA256" if rng.random() < 0.25 else None
        settings = f"key=webhooks_sharedkey_{n},algorithm=HMAC_SHA256" if algorithm else None
        url = twilio_url()
        validator = RequestValidator(token)
        json_body = rng.random() < 0.15
        if json_body:
            payload = json.dumps({"text": text(40)}, ensure_ascii=False)
            digest = hashlib.sha256(payload.encode()).hexdigest()
            url = url.split("?")[0].split("#")[0] + f"?bodySHA256={digest}"
            pairs = None
        else:
            names = ["From", "To", "Body", "MessageSid", "MediaUrl", "NumMedia", "a[b]", "Ünï"]
            pairs = []
            for name in rng.sample(names, rng.randint(0, len(names))):
                for _ in range(rng.choice([1, 1, 1, 2, 3]) if name == "MediaUrl" or rng.random() < 0.1 else 1):
                    pairs.append((name, rng.choice([text(20), "https://api.twilio.com/media/" + str(rng.randint(1, 9)),
                                                    "+1415555" + str(rng.randint(1000, 9999))])))
                if name == "MediaUrl" and rng.random() < 0.3:
                    pairs.append((name, pairs[-1][1]))  # a repeated identical value: signed once
            rng.shuffle(pairs)
            payload = urlencode(pairs)

        def params_of(p):
            if p is None:
                return payload
            multi = MultiDict()
            for k, v in p:
                multi.setdefault(k, []).append(v)
            return multi

        def add(case, signed_url, p=pairs, u=url, body_text=None, alg=algorithm, sig=None, settings_header=settings):
            body_text = body_text if body_text is not None else (payload if p is None else urlencode(p))
            params = body_text if p is None else params_of(p)
            signature = sig or validator.compute_signature(signed_url, params if p is not None else {}, alg)
            try:
                verdict = validator.validate(u, params, signature, alg)
            except Exception:
                verdict = False
            extra = {}
            if verdict and signed_url in mangled(u):
                extra = {"expect": False, "deviation": "twilio-python cuts the host at its first ':' to drop the "
                         "port, which mangles a password in the user info or an IPv6 host; the gem tries only the "
                         "URL as given there, never a signature over the mangled text"}
            w.add(kind="verify", case=case, auth_token=token, url=u, signed_url=signed_url, **extra,
                  content_type="application/json" if p is None else "application/x-www-form-urlencoded",
                  body=body_text, signature=signature, signature_settings=settings_header, library=verdict)

        for signed in signed_urls(url):
            add("signed_url_variant", signed)
        if pairs:
            reordered = list(pairs)
            rng.shuffle(reordered)
            add("pairs_reordered", url, p=reordered, sig=validator.compute_signature(url, params_of(pairs), algorithm))
            changed = list(pairs)
            i = rng.randrange(len(changed))
            changed[i] = (changed[i][0], tamper_text(changed[i][1]))
            add("tampered_value", url, p=changed, sig=validator.compute_signature(url, params_of(pairs), algorithm))
            dropped = pairs[:-1]
            add("dropped_pair", url, p=dropped, sig=validator.compute_signature(url, params_of(pairs), algorithm))
        elif pairs is None:
            add("tampered_body", url, body_text=tamper_text(payload),
                sig=validator.compute_signature(url, {}, algorithm))
        else:
            add("added_param", url, p=[("x", "1")], sig=validator.compute_signature(url, {}, algorithm))
        add("tampered_url", url.replace("/", "/x", 3) if url.count("/") >= 3 else url + "x", u=url,
            sig=validator.compute_signature(url + "/x", params_of(pairs) if pairs is not None else {}, algorithm))
        add("other_token", url, sig=RequestValidator(token + "x").compute_signature(
            url, params_of(pairs) if pairs is not None else {}, algorithm))
        if algorithm:
            add("sha256_signature_without_settings", url, settings_header=None, alg=None,
                sig=validator.compute_signature(url, params_of(pairs) if pairs is not None else {}, algorithm))
    w.close()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    standard()
    stripe_cases()
    slack_cases()
    twilio_cases()
