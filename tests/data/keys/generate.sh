#!/bin/sh
# Regenerates every fixture in this folder with the OpenSSL CLI (and python3's standard library
# to turn `openssl ... -text` output into JWK members). Keys are random: re-running this script
# replaces all keys AND expected.json together, so the tests stay consistent.
# Usage: cd tests/data/keys && sh generate.sh
set -eu
umask 022
rm -f ./*.pem ./*.der expected.json

# RSA 2048: PKCS#8, PKCS#1 private, SPKI, PKCS#1 public
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048-pkcs8.pem
openssl rsa -in rsa2048-pkcs8.pem -traditional -out rsa2048-pkcs1.pem
openssl rsa -in rsa2048-pkcs8.pem -pubout -out rsa2048-spki.pem
openssl rsa -in rsa2048-pkcs8.pem -RSAPublicKey_out -out rsa2048-pkcs1-pub.pem
# Too small: 1024 and 2040 bits (must be rejected)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024-pkcs8.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2040 -out rsa2040-pkcs8.pem

# EC: SEC1 (with the EC PARAMETERS block `ecparam -genkey` prints first), PKCS#8, SPKI
for c in P-256:prime256v1 P-384:secp384r1 P-521:secp521r1; do
  n=$(echo "$c" | cut -d: -f1 | tr -d - | tr 'P' 'p'); o=$(echo "$c" | cut -d: -f2)
  openssl ecparam -name "$o" -genkey -out "ec-$n-sec1.pem"
  openssl pkcs8 -topk8 -nocrypt -in "ec-$n-sec1.pem" -out "ec-$n-pkcs8.pem"
  openssl ec -in "ec-$n-sec1.pem" -pubout -out "ec-$n-spki.pem"
done

# Ed25519: PKCS#8 v1 (what OpenSSL writes) and SPKI
openssl genpkey -algorithm ed25519 -out ed25519-pkcs8.pem
openssl pkey -in ed25519-pkcs8.pem -pubout -out ed25519-spki.pem
# PKCS#8 v2 (OneAsymmetricKey with attributes and the public key): RFC 8410 §10.3's example.
cat > ed25519-rfc8410-v2.pem <<'PEM'
-----BEGIN PRIVATE KEY-----
MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB
Z9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PRIVATE KEY-----
PEM

# Certificates: a self-signed RSA certificate, an EC P-256 leaf signed by it, CRLF and DER forms,
# and a two-certificate chain (leaf first).
openssl req -x509 -new -key rsa2048-pkcs8.pem -subj "/CN=oidckit test RSA CA" -days 36500 \
  -sha256 -out cert-rsa.pem
openssl req -new -key ec-p256-pkcs8.pem -subj "/CN=oidckit test EC leaf" -out leaf.csr
openssl x509 -req -in leaf.csr -CA cert-rsa.pem -CAkey rsa2048-pkcs8.pem -set_serial 2 \
  -days 36500 -sha256 -out cert-ec.pem
rm -f leaf.csr
openssl x509 -in cert-rsa.pem -outform DER -out cert-rsa.der
sed 's/$/\r/' cert-rsa.pem > cert-rsa-crlf.pem
cat cert-ec.pem cert-rsa.pem > cert-chain.pem

# expected.json: public (and private) JWK members from `openssl -text`, and certificate
# thumbprints from `openssl x509 -fingerprint`, converted to base64url.
python3 - <<'PY'
import base64, json, re, subprocess

def run(*a):
    return subprocess.run(a, check=True, capture_output=True, text=True).stdout

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def fields(text):
    """Parses `name:\n    aa:bb:..` blocks and `name: 65537 (0x10001)` lines of openssl -text."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s*(\d+) \(0x[0-9a-f]+\)$", line)
        if m:
            out[m.group(1)] = int(m.group(2)).to_bytes((int(m.group(2)).bit_length() + 7) // 8, "big")
            cur = None
            continue
        m = re.match(r"^(\w+):\s*$", line)
        if m:
            cur = m.group(1); out[cur] = b""
            continue
        if cur and line.startswith(" "):
            out[cur] += bytes.fromhex(line.strip().replace(":", ""))
        else:
            cur = None
    return out

def strip(b):
    return b.lstrip(b"\0") or b"\0"

exp = {"keys": {}, "certificates": {}}
f = fields(run("openssl", "pkey", "-in", "rsa2048-pkcs8.pem", "-text", "-noout"))
rsa = {"kty": "RSA", "n": b64u(strip(f["modulus"])), "e": b64u(strip(f["publicExponent"])),
       "d": b64u(strip(f["privateExponent"])), "p": b64u(strip(f["prime1"])),
       "q": b64u(strip(f["prime2"])), "dp": b64u(strip(f["exponent1"])),
       "dq": b64u(strip(f["exponent2"])), "qi": b64u(strip(f["coefficient"]))}
exp["keys"]["rsa2048"] = rsa
f = fields(run("openssl", "pkey", "-in", "rsa2040-pkcs8.pem", "-text", "-noout"))
exp["keys"]["rsa2040"] = {"kty": "RSA", "n": b64u(strip(f["modulus"])), "e": b64u(strip(f["publicExponent"])),
       "d": b64u(strip(f["privateExponent"])), "p": b64u(strip(f["prime1"])),
       "q": b64u(strip(f["prime2"])), "dp": b64u(strip(f["exponent1"])),
       "dq": b64u(strip(f["exponent2"])), "qi": b64u(strip(f["coefficient"]))}
for crv, size in (("P-256", 32), ("P-384", 48), ("P-521", 66)):
    n = crv.replace("-", "").lower()
    f = fields(run("openssl", "pkey", "-in", f"ec-{n}-pkcs8.pem", "-text", "-noout"))
    pub = f["pub"]; assert pub[0] == 4 and len(pub) == 1 + 2 * size
    d = strip(f["priv"]).rjust(size, b"\0")
    exp["keys"][f"ec-{n}"] = {"kty": "EC", "crv": crv, "x": b64u(pub[1:1 + size]),
                              "y": b64u(pub[1 + size:]), "d": b64u(d)}
for name, pem in (("ed25519", "ed25519-pkcs8.pem"), ("ed25519-rfc8410-v2", None)):
    if pem:
        f = fields(run("openssl", "pkey", "-in", pem, "-text", "-noout"))
        exp["keys"][name] = {"kty": "OKP", "crv": "Ed25519", "x": b64u(f["pub"]), "d": b64u(f["priv"])}
    else:
        exp["keys"][name] = {"kty": "OKP", "crv": "Ed25519",
            "x": b64u(bytes.fromhex("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1")),
            "d": b64u(bytes.fromhex("d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842"))}
for cert in ("cert-rsa", "cert-ec"):
    t = {}
    for alg, member in (("-sha1", "x5t"), ("-sha256", "x5t#S256")):
        out = run("openssl", "x509", "-in", f"{cert}.pem", "-noout", "-fingerprint", alg)
        t[member] = b64u(bytes.fromhex(out.strip().split("=", 1)[1].replace(":", "")))
    der = run("openssl", "x509", "-in", f"{cert}.pem", "-outform", "PEM")
    t["x5c"] = "".join(l for l in der.splitlines() if not l.startswith("-----"))
    exp["certificates"][cert] = t
json.dump(exp, open("expected.json", "w"), indent=1, sort_keys=True)
open("expected.json", "a").write("\n")
PY
echo "done"
