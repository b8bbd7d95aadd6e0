// Certificates made at test time with the openssl command line (no key material lives in the
// repository): a test CA, a server certificate it signs for 127.0.0.1 and localhost, a client
// certificate it signs (mutual TLS), and for the failure cases a self-signed server certificate
// and a client certificate from a CA nobody trusts. ECDSA P-256 keys, so generating is quick.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  /** PEM text and file path of each piece. */
  caCert: string;
  caCertFile: string;
  serverKey: string;
  serverKeyFile: string;
  serverCert: string;
  serverCertFile: string;
  clientKey: string;
  clientCert: string;
  /** Self-signed, for 127.0.0.1: nothing chains it to the test CA. */
  selfSignedKey: string;
  selfSignedCert: string;
  /** A client certificate signed by another CA. */
  strangerKey: string;
  strangerCert: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error("the TLS tests need the openssl command (apt-get install openssl)");
    }
    throw new Error(`openssl ${args[0]} failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function selfSigned(cwd: string, name: string, subject: string, extensions: string[]): void {
  openssl(
    [
      "req",
      "-x509",
      ...KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      subject,
      ...extensions.flatMap((e) => ["-addext", e]),
    ],
    cwd,
  );
}

function signed(cwd: string, name: string, subject: string, ca: string, extFile: string): void {
  openssl(["req", "-new", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], cwd);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      extFile,
    ],
    cwd,
  );
}

/** Makes a fresh set in a temporary directory; call remove() when done. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "hcje-pki-"));
  const caExt = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"];
  selfSigned(dir, "ca", "/CN=huaweicloud-job-exporter test CA", caExt);
  selfSigned(dir, "stranger-ca", "/CN=a CA nobody trusts", caExt);
  writeFileSync(
    join(dir, "server.ext"),
    "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
  );
  writeFileSync(join(dir, "client.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  signed(dir, "server", "/CN=127.0.0.1", "ca", "server.ext");
  signed(dir, "client", "/CN=prometheus", "ca", "client.ext");
  signed(dir, "stranger", "/CN=stranger", "stranger-ca", "client.ext");
  selfSigned(dir, "self", "/CN=127.0.0.1", ["subjectAltName=IP:127.0.0.1,DNS:localhost"]);
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  return {
    dir,
    caCert: read("ca.crt"),
    caCertFile: join(dir, "ca.crt"),
    serverKey: read("server.key"),
    serverKeyFile: join(dir, "server.key"),
    serverCert: read("server.crt"),
    serverCertFile: join(dir, "server.crt"),
    clientKey: read("client.key"),
    clientCert: read("client.crt"),
    selfSignedKey: read("self.key"),
    selfSignedCert: read("self.crt"),
    strangerKey: read("stranger.key"),
    strangerCert: read("stranger.crt"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
