import { completionLines, type CompletionSources, type Target } from '../../plugin/completion/candidates.js';

function sources() {
  const asked: Target[] = [];
  const src: CompletionSources = {
    clusters: async (t) => { asked.push(t); return t.namespace === 'prod' ? ['orders', 'payments'] : ['demo', 'demo2', 'other']; },
    namespaces: async () => ['default', 'prod'],
    contexts: () => ['kind-a', 'prod-ctx'],
  };
  return { src, asked };
}

const complete = (words: string[]) => completionLines(words, sources().src);

describe('kubectl_complete-etcd candidates', () => {
  test('commands with descriptions, then the no-file directive', async () => {
    const lines = await complete(['']);
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['status', 'list', 'members', 'scale', 'replace', 'recover', 'upgrade', 'snapshot', 'snapshots', 'completion', 'version', ':4']);
    expect(lines[0]).toBe('status\tShow a cluster at a glance');
    expect(await complete(['s'])).toEqual([
      'status\tShow a cluster at a glance', 'scale\tResize a cluster safely', 'snapshot\tTake a snapshot now', 'snapshots\tList the snapshots of a cluster', ':4',
    ]);
  });

  test('cluster names for status, members and scale, filtered by the prefix', async () => {
    expect(await complete(['status', ''])).toEqual(['demo', 'demo2', 'other', ':4']);
    expect(await complete(['scale', 'de'])).toEqual(['demo', 'demo2', ':4']);
    expect(await complete(['members', 'o'])).toEqual(['other', ':4']);
  });

  test('the namespace and context given earlier on the line are where names come from', async () => {
    const { src, asked } = sources();
    expect(await completionLines(['-n', 'prod', 'status', ''], src)).toEqual(['orders', 'payments', ':4']);
    await completionLines(['status', '--context=prod-ctx', '--namespace', 'prod', ''], src);
    expect(asked).toEqual([{ namespace: 'prod' }, { context: 'prod-ctx', namespace: 'prod' }]);
  });

  test('only one NAME: nothing more after it', async () => {
    expect(await complete(['status', 'demo', ''])).toEqual([':4']);
    expect(await complete(['list', ''])).toEqual([':4']);
  });

  test('flag values: namespaces, contexts, output formats, colour modes; files for --kubeconfig', async () => {
    expect(await complete(['status', '-n', ''])).toEqual(['default', 'prod', ':4']);
    expect(await complete(['--context', 'p'])).toEqual(['prod-ctx', ':4']);
    expect(await complete(['list', '-o', 'y'])).toEqual(['yaml', ':4']);
    expect(await complete(['list', '--output=j'])).toEqual(['--output=json', ':4']);
    expect(await complete(['status', '--color', ''])).toEqual(['auto', 'always', 'never', ':4']);
    expect(await complete(['--kubeconfig', ''])).toEqual([':0']);
  });

  test('flags: the command its own, then the global ones', async () => {
    const scale = await complete(['scale', 'demo', '--']);
    expect(scale.slice(0, 3)).toEqual(['--replicas', '--yes', '--wait']);
    expect(scale).toContain('--namespace');
    expect(await complete(['status', '--w'])).toEqual(['--watch', ':4']);
  });

  test('upgrade: cluster names, its flags, and no guess for the value of --version', async () => {
    expect(await complete(['upgrade', 'd'])).toEqual(['demo', 'demo2', ':4']);
    expect((await complete(['upgrade', 'demo', '--'])).slice(0, 2)).toEqual(['--version', '--yes']);
    // The value of --version is not taken for NAME, and nothing is offered for it.
    expect(await complete(['upgrade', '--version', ''])).toEqual([':4']);
    expect(await complete(['upgrade', '--version', '3.5.16', 'de'])).toEqual(['demo', 'demo2', ':4']);
  });

  test('snapshot and snapshots: cluster names, then nothing more; snapshot\'s --timeout takes a value', async () => {
    expect(await complete(['snapshot', 'd'])).toEqual(['demo', 'demo2', ':4']);
    expect(await complete(['snapshots', ''])).toEqual(['demo', 'demo2', 'other', ':4']);
    expect(await complete(['-n', 'prod', 'snapshots', 'p'])).toEqual(['payments', ':4']);
    expect(await complete(['snapshots', 'demo', ''])).toEqual([':4']);
    expect((await complete(['snapshot', 'demo', '--']))[0]).toBe('--timeout');
    expect(await complete(['snapshot', '--timeout', '5m', 'o'])).toEqual(['other', ':4']);
  });

  test('completion shells', async () => {
    expect(await complete(['completion', ''])).toEqual(['bash', 'zsh', ':4']);
  });
});
