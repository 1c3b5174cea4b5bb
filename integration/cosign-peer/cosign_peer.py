#!/usr/bin/python3
# A second, independent implementation of cosign's key and signature formats, for the interop
# tests (integration/registry-signing-interop.test.ts). Debian 12's skopeo 1.9 is built with
# sigstore disabled ("Debian-local change: sigstore disabled") and cosign is not packaged, so this
# script stands in for them: written from cosign's and containers/image's formats, sharing no
# code with wasmbpf, on other crypto libraries (libsodium through PyNaCl for the secretbox,
# OpenSSL through python3-cryptography for ECDSA, Python's hashlib for scrypt) and its own HTTP.
#
#   cosign_peer.py generate PREFIX                 PREFIX.key (encrypted) + PREFIX.pub; password: COSIGN_PASSWORD
#   cosign_peer.py sign KEY HOST REPO TAG          sign HOST/REPO:TAG's digest, append to its .sig tag
#   cosign_peer.py verify PUB HOST REPO TAG        exit 0 if a signature by PUB is for the digest TAG serves
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

import nacl.secret
import nacl.utils
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

PRIVATE_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY'
SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json'
SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
ACCEPT = ', '.join([OCI_MANIFEST, 'application/vnd.oci.image.index.v1+json',
                    'application/vnd.docker.distribution.manifest.v2+json',
                    'application/vnd.docker.distribution.manifest.list.v2+json'])


def scrypt_key(password, salt, params):
    return hashlib.scrypt(password.encode(), salt=salt, n=params['N'], r=params['r'], p=params['p'],
                          maxmem=256 * 1024 * 1024, dklen=nacl.secret.SecretBox.KEY_SIZE)


def generate(prefix):
    password = os.environ['COSIGN_PASSWORD']
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    params = {'N': 32768, 'r': 8, 'p': 1}
    salt = nacl.utils.random(32)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    sealed = nacl.secret.SecretBox(scrypt_key(password, salt, params)).encrypt(der, nonce).ciphertext
    doc = {'kdf': {'name': 'scrypt', 'params': params, 'salt': b64(salt)},
           'cipher': {'name': 'nacl/secretbox', 'nonce': b64(nonce)}, 'ciphertext': b64(sealed)}
    with open(prefix + '.key', 'w') as f:
        f.write(pem(PRIVATE_PEM, json.dumps(doc, separators=(',', ':')).encode()))
    with open(prefix + '.pub', 'wb') as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def load_private(path):
    text = open(path).read()
    body = ''.join(text.strip().splitlines()[1:-1])
    doc = json.loads(base64.b64decode(body))
    assert doc['kdf']['name'] == 'scrypt' and doc['cipher']['name'] == 'nacl/secretbox', doc
    secret = scrypt_key(os.environ['COSIGN_PASSWORD'], base64.b64decode(doc['kdf']['salt']), doc['kdf']['params'])
    der = nacl.secret.SecretBox(secret).decrypt(base64.b64decode(doc['ciphertext']), base64.b64decode(doc['cipher']['nonce']))
    return serialization.load_der_private_key(der, password=None)


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as res:
        return res.read(), res.headers


def manifest_digest(host, repo, tag):
    body, _ = request('GET', f'http://{host}/v2/{repo}/manifests/{tag}', headers={'Accept': ACCEPT})
    return 'sha256:' + hashlib.sha256(body).hexdigest()


def sig_tag(digest):
    return digest.replace(':', '-') + '.sig'


def get_sig_manifest(host, repo, digest):
    try:
        body, _ = request('GET', f'http://{host}/v2/{repo}/manifests/{sig_tag(digest)}', headers={'Accept': OCI_MANIFEST})
        return json.loads(body)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def upload(host, repo, data):
    digest = 'sha256:' + hashlib.sha256(data).hexdigest()
    _, headers = request('POST', f'http://{host}/v2/{repo}/blobs/uploads/')
    location = headers['Location']
    if location.startswith('/'):
        location = f'http://{host}{location}'
    sep = '&' if '?' in location else '?'
    request('PUT', f'{location}{sep}digest={digest}', body=data, headers={'Content-Type': 'application/octet-stream'})
    return {'mediaType': '', 'digest': digest, 'size': len(data)}


def sign(key_path, host, repo, tag):
    key = load_private(key_path)
    digest = manifest_digest(host, repo, tag)
    payload = json.dumps({'critical': {'identity': {'docker-reference': f'{host}/{repo}:{tag}'},
                                       'image': {'docker-manifest-digest': digest},
                                       'type': 'cosign container image signature'},
                          'optional': None}, separators=(',', ':')).encode()
    signature = b64(key.sign(payload, ec.ECDSA(hashes.SHA256())))
    manifest = get_sig_manifest(host, repo, digest) or {'schemaVersion': 2, 'mediaType': OCI_MANIFEST, 'layers': []}
    layer = upload(host, repo, payload)
    layer['mediaType'] = SIMPLE_SIGNING
    layer['annotations'] = {SIGNATURE_ANNOTATION: signature}
    manifest['layers'].append(layer)
    config = json.dumps({'architecture': '', 'os': '', 'config': {},
                         'rootfs': {'type': 'layers', 'diff_ids': [l['digest'] for l in manifest['layers']]}}).encode()
    manifest['config'] = upload(host, repo, config)
    manifest['config']['mediaType'] = 'application/vnd.oci.image.config.v1+json'
    request('PUT', f'http://{host}/v2/{repo}/manifests/{sig_tag(digest)}', body=json.dumps(manifest).encode(),
            headers={'Content-Type': OCI_MANIFEST})
    print(f'signed {host}/{repo}:{tag} {digest}')


def verify(pub_path, host, repo, tag):
    pub = serialization.load_pem_public_key(open(pub_path, 'rb').read())
    digest = manifest_digest(host, repo, tag)
    manifest = get_sig_manifest(host, repo, digest)
    if manifest is None:
        sys.exit(f'no signature for {digest}')
    reasons = []
    for layer in manifest['layers']:
        if layer['mediaType'] != SIMPLE_SIGNING:
            continue
        payload, _ = request('GET', f'http://{host}/v2/{repo}/blobs/{layer["digest"]}')
        if 'sha256:' + hashlib.sha256(payload).hexdigest() != layer['digest']:
            reasons.append('payload digest mismatch')
            continue
        try:
            pub.verify(base64.b64decode(layer['annotations'][SIGNATURE_ANNOTATION]), payload, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, KeyError, ValueError) as e:
            reasons.append(f'signature does not verify ({type(e).__name__})')
            continue
        critical = json.loads(payload)['critical']
        if critical['type'] != 'cosign container image signature':
            reasons.append('wrong payload type')
        elif critical['image']['docker-manifest-digest'] != digest:
            reasons.append(f'payload for {critical["image"]["docker-manifest-digest"]}')
        else:
            print(f'verified {host}/{repo}:{tag} {digest} ({critical["identity"]["docker-reference"]})')
            return
    sys.exit(f'refused {digest}: ' + '; '.join(reasons))


def b64(data):
    return base64.b64encode(data).decode()


def pem(kind, data):
    text = b64(data)
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return f'-----BEGIN {kind}-----\n' + '\n'.join(lines) + f'\n-----END {kind}-----\n'


if __name__ == '__main__':
    command, args = sys.argv[1], sys.argv[2:]
    {'generate': generate, 'sign': sign, 'verify': verify}[command](*args)
