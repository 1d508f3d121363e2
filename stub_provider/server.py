"""go-plugin transport for the stub: handshake, automatic mutual TLS and the gRPC services Terraform calls.

Terraform starts a provider with TF_PLUGIN_MAGIC_COOKIE and PLUGIN_CLIENT_CERT (its own certificate, for
automatic mutual TLS) set, reads one handshake line from stdout —
`1|6|unix|SOCKET|grpc|BASE64-DER-SERVER-CERT` — and then speaks tfplugin6 over gRPC on that socket.
Only the generated protocol code of PyPI `tf` is used (tf.gen); the servicer is our own (provider.py).
"""

from __future__ import annotations

import base64
import datetime
import os
import signal
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
MAX_MESSAGE_BYTES = 256 << 20  # terraform-plugin-go's limit: the AWS schema is tens of MB


def _server_certificate() -> tuple[bytes, bytes, bytes]:
    """A fresh self-signed ECDSA certificate for "localhost" (key PEM, cert PEM, cert DER); never stored."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "toolkit stub provider"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM), certificate.public_bytes(
        serialization.Encoding.DER)


def _watch_parent(stop: threading.Event) -> None:
    """Terraform killed with -9 never says Shutdown: leave when the parent process is gone."""
    parent = os.getppid()
    while not stop.wait(0.5):
        if os.getppid() != parent:
            stop.set()


def serve(provider_name: str, data_dir: Path) -> int:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This is the toolkit's offline stub of a Terraform provider: Terraform starts it, "
                         "a person does not (see docs/CHECKS.md).\n")
        return 1
    # Ctrl-C reaches the whole process group; like Go plugins, let Terraform decide when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    import grpc
    from tf.gen import grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc

    from stub_provider.provider import StubProvider, add_to_server

    stop = threading.Event()
    # A plain kill (SIGTERM) stops cleanly too: the socket folder is removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    provider = StubProvider.load(provider_name, data_dir, stop)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])
    add_to_server(provider, server)

    class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
        def Shutdown(self, request: object, context: object) -> object:
            stop.set()
            return grpc_controller_pb2.Empty()

    class Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):
        def StreamStdio(self, request: object, context: object) -> object:
            return iter(())

    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(Stdio(), server)

    key_pem, cert_pem, cert_der = _server_certificate()
    # Terraform verifies our certificate (sent in the handshake line). Its own client certificate is ECDSA
    # P-521, which gRPC's TLS stack does not accept for client auth, so the client is not verified: the
    # socket lives in a private (0700) temporary folder that only this user can reach.
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    with tempfile.TemporaryDirectory(prefix="tfstub-") as folder:
        socket_path = f"{folder}/plugin.sock"
        server.add_secure_port(f"unix://{socket_path}", credentials)
        server.start()
        threading.Thread(target=_watch_parent, args=(stop,), daemon=True).start()
        certificate = base64.b64encode(cert_der).decode().rstrip("=")
        sys.stdout.write(f"1|6|unix|{socket_path}|grpc|{certificate}\n")
        sys.stdout.flush()
        stop.wait()
        server.stop(grace=0.2).wait(1)
    return 0


def main() -> None:
    if len(sys.argv) != 3:
        sys.stderr.write("usage: python -m stub_provider PROVIDER COMPILED_SCHEMA_DIR\n")
        raise SystemExit(2)
    raise SystemExit(serve(sys.argv[1], Path(sys.argv[2])))
