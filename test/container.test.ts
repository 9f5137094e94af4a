// The container files say what the README promises (docker may be absent where tests run, so
// these read the files; CI also runs `docker compose config`).

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

describe('container', () => {
  it('builds in two stages, installs production dependencies only, runs as non-root with a /healthz health check', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    const run = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(run).toContain('npm ci --omit=dev');
    expect(run).toMatch(/^USER node$/m);
    expect(run).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(run).toContain('VOLUME ["/config", "/data"]');
  });

  it('composes the built image without a source mount or an install at start, Redis with AOF and noeviction, and Mailpit', async () => {
    const compose = parse(await readFile('docker-compose.yml', 'utf8')) as { services: { newswatch: Service; redis: Service; mailpit: Service } };
    const { newswatch, redis, mailpit } = compose.services;
    expect(newswatch.build).toBe('.');
    expect(JSON.stringify(newswatch.command)).not.toMatch(/npm (ci|install)/);
    expect(newswatch.volumes?.some((v) => /^\.\/?:/.test(v) || v.startsWith('./:'))).toBe(false);
    expect(newswatch.environment?.HTTP_HOST).toBe('0.0.0.0');
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(mailpit.image).toMatch(/mailpit/);
  });
});
