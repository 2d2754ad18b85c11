import { parseByteRange } from '../../src/api/byte-range';
import { acceptsGzip } from '../../src/api/compression';
import { hostRefusal, originRefusal } from '../../src/api/request-guard';

describe('the Host rule', () => {
  const refused = hostRefusal({
    bindHost: '192.168.1.5',
    allowedHosts: ['nightshift.example', 'proxy.example:8443', '[fd00::7]'],
  });
  test('when the Host is a loopback name, the bind address or an allowed name, then it passes (any port unless the entry names one)', () => {
    for (const host of [
      '127.0.0.1:8000',
      '127.9.9.9',
      'localhost:8000',
      'LOCALHOST',
      'localhost.',
      '[::1]:8000',
      '[::1]',
      '192.168.1.5:8000',
      'nightshift.example',
      'Nightshift.Example:443',
      'proxy.example:8443',
      '[fd00::7]:8000',
      undefined,
    ]) {
      expect([host, refused(host)]).toEqual([host, undefined]);
    }
  });
  test('when the Host names anything else, then 421', () => {
    for (const host of [
      'evil.example',
      'evil.example:8000',
      'localhost.evil.example',
      '127.0.0.1.evil.example',
      'proxy.example:8444',
      '192.168.1.6',
      '',
      ' ',
      'a b',
      '127.0.0.1:8000@evil',
      '[::1',
      '0.0.0.0',
    ]) {
      expect([host, refused(host)?.status]).toEqual([host, 421]);
    }
  });
});

describe('the Origin rule', () => {
  const host = '127.0.0.1:8000';
  test('when a state-changing request has no Origin or its own, then it passes; reads are never refused', () => {
    expect(originRefusal('POST', { host })).toBeUndefined();
    expect(
      originRefusal('POST', { host, origin: 'http://127.0.0.1:8000', 'sec-fetch-site': 'same-origin' }),
    ).toBeUndefined();
    expect(originRefusal('POST', { host: 'nightshift.example', origin: 'https://nightshift.example' })).toBeUndefined();
    expect(
      originRefusal('POST', { host: 'nightshift.example:443', origin: 'https://nightshift.example' }),
    ).toBeUndefined();
    // behind a proxy that passes its upstream's address as Host, the allowed names are the API's origin
    expect(
      originRefusal('POST', { host, origin: 'https://nightshift.example' }, ['nightshift.example']),
    ).toBeUndefined();
    expect(
      originRefusal('POST', { host, origin: 'https://nightshift.example:8443' }, ['nightshift.example:8443']),
    ).toBeUndefined();
    expect(originRefusal('POST', { host, origin: 'https://evil.example' }, ['nightshift.example'])?.status).toBe(403);
    for (const m of ['GET', 'HEAD', 'OPTIONS'])
      expect(originRefusal(m, { host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).toBeUndefined();
  });
  test('when it comes from another origin, then 403', () => {
    for (const headers of [
      { host, origin: 'http://evil.example' },
      { host, origin: 'http://127.0.0.1:8001' },
      { host, origin: 'http://localhost:8000' },
      { host, origin: 'null' },
      { host, origin: 'not a url' },
      { origin: 'http://127.0.0.1:8000' },
      { host, 'sec-fetch-site': 'cross-site' },
    ]) {
      for (const m of ['POST', 'PUT', 'DELETE', 'PATCH'])
        expect([m, headers, originRefusal(m, headers)?.status]).toEqual([m, headers, 403]);
    }
  });
});

describe('Accept-Encoding', () => {
  test('when gzip (or *) is admitted with a q-value above 0, then gzip is accepted', () => {
    for (const h of [
      'gzip',
      'gzip, deflate, br',
      'br;q=1.0, gzip;q=0.8',
      '*',
      'deflate, *;q=0.1',
      ['identity', 'gzip'],
    ])
      expect([h, acceptsGzip(h)]).toEqual([h, true]);
    for (const h of [undefined, '', 'identity', 'br', 'gzip;q=0', 'gzip;q=0.0, *', '*;q=0', 'x-gzip2'])
      expect([h, acceptsGzip(h)]).toEqual([h, false]);
  });
});

describe('Range: bytes=…', () => {
  test('when one range is asked, then it is clamped to the body; past the end it is unsatisfiable; anything else is ignored', () => {
    expect(parseByteRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseByteRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=100-120', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable');
    for (const h of [undefined, 'bytes=', 'bytes=-', 'bytes=5-2', 'bytes=0-1,3-4', 'items=0-1', 'bytes=a-b'])
      expect([h, parseByteRange(h, 100)]).toEqual([h, null]);
  });
});
