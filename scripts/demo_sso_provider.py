"""A local OpenID Connect provider for trying single sign-on with the demo (not for production).

`CASUSTAFEL_DEMO_SSO=1 ./demo.sh` starts it on http://localhost:5001 (CASUSTAFEL_DEMO_SSO_PORT)
before the app: oidc-provider-mock, the provider tests/test_oidc.py uses. Its login page offers
two colleagues with one click, and takes any other name you type (a new colleague: the reporter
role only):
  anna   Anna de Vries, in the group casustafel-regie (mapped to coordinator: waits for the
         admin's approval at /beheer/goedkeuringen), logged in with MFA at the provider
  bart   Bart Bakker, no group, password only at the provider
"""

import contextlib
import os
import sys
import threading

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on localhost, demo only

import oidc_provider_mock  # after the setting above

USERS = (
    oidc_provider_mock.User(sub="anna", claims={
        "email": "anna.devries@gemeente.test", "name": "Anna de Vries",
        "groups": ["casustafel-regie"], "amr": ["pwd", "mfa"]}),
    oidc_provider_mock.User(sub="bart", claims={
        "email": "bart.bakker@gemeente.test", "name": "Bart Bakker", "groups": [], "amr": ["pwd"]}),
)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5001
    with oidc_provider_mock.run_server_in_thread(port=port, require_nonce=True, user_claims=USERS) as server:
        print(f"Demo-identiteitsprovider op http://localhost:{server.server_port}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
