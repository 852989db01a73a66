// jest globalSetup: names this test run, so the clusters it starts are marked as its own and its
// globalTeardown stops only those, never the clusters of another run on the same machine.
export default async function setup(): Promise<void> {
  process.env.ETCDOP_TEST_RUN ??= `run-${process.pid}-${Date.now()}`;
}
