/**
 * Entry point for harness tests of the daemon layer: the real warden-hsmd command
 * (runWardenHsmd: argv, fds, status socket, framing, fd passing, exits, hsm_secret loading)
 * with the hsmd service replaced by the TEST DOUBLE in fake-service.ts. Not shipped.
 */
import { runWardenHsmd } from "../../../../src/adapters/cln/daemon/cli.js";
import { loadHsmSecret } from "../../../../src/adapters/cln/daemon/hsm-secret-file.js";
import { FakeHsmdService } from "./fake-service.js";

// `node --test dist/test/` runs every file under test/: only the harness (which sets this) starts it.
const daemon =
  process.env.WARDEN_TEST_FAKE_HSMD !== "1"
    ? undefined
    : runWardenHsmd({
        argv: process.argv.slice(2),
        env: process.env,
        cwd: process.cwd(),
        stdout: (l) => process.stdout.write(`${l}\n`),
        stderr: (l) => process.stderr.write(`${l}\n`),
        exit: (code) => process.exit(code),
        openService: async (_init, ctx) => {
          const loaded = await loadHsmSecret(ctx.cwd, undefined);
          loaded.secret.fill(0);
          return new FakeHsmdService();
        },
      });
if (daemon !== undefined) {
  process.on("SIGTERM", () => void daemon.shutdown(0));
}
