/** src/settings/cidr.ts: parsing at every boundary, containment, overlap, carving, reserved ranges. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockSize, cidrProblem, contains, formatCidr, overlaps, parseCidr, reservedRange, RESERVED_RANGES, subnetAt } from '../src/settings/cidr.ts';

const c = (text: string) => {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} parses`);
  return parsed;
};

test('parses blocks at every boundary: octets 0 and 255, prefixes 0 and 32', () => {
  assert.deepEqual(parseCidr('0.0.0.0/0'), { network: 0, prefix: 0 });
  assert.deepEqual(parseCidr('255.255.255.255/32'), { network: 4294967295, prefix: 32 });
  assert.deepEqual(parseCidr('10.1.2.0/24'), { network: 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 2 ** 8, prefix: 24 });
  assert.deepEqual(parseCidr('192.168.0.0/16'), { network: 3232235520, prefix: 16 });
  assert.deepEqual(parseCidr('1.2.3.4/32'), { network: 16909060, prefix: 32 });
  assert.deepEqual(parseCidr('128.0.0.0/1'), { network: 2 ** 31, prefix: 1 });
});

test('refuses what is not a valid, canonical block, and says why', () => {
  const cases: [string, string, string?][] = [
    ['10.0.0.256/16', 'octet `256` is over 255'],
    ['256.0.0.0/8', 'octet `256` is over 255'],
    ['10.0.0.0/33', 'prefix /33 is over 32'],
    ['10.0.0.1/16', 'host bits are set', '10.0.0.0/16'],
    ['10.0.0.128/24', 'host bits are set', '10.0.0.0/24'],
    ['10.0.1.0/23', 'host bits are set', '10.0.0.0/23'],
    ['0.0.0.1/0', 'host bits are set', '0.0.0.0/0'],
    ['010.0.0.0/16', '`010` has a leading zero, which some tools read as octal', '10.0.0.0/16'],
    ['10.0.0.0/08', '`08` has a leading zero, which some tools read as octal', '10.0.0.0/8'],
    ['10.10.0.0/08', '`08` has a leading zero, which some tools read as octal'],
    ['10.00.0.0/16', '`00` has a leading zero, which some tools read as octal', '10.0.0.0/16'],
    ['10.0.0.0', 'it is not of the form `a.b.c.d/n`'],
    ['10.0.0/16', 'it is not of the form `a.b.c.d/n`'],
    ['10.0.0.0/', 'it is not of the form `a.b.c.d/n`'],
    [' 10.0.0.0/16', 'it is not of the form `a.b.c.d/n`'],
    ['10.0.0.0/16 ', 'it is not of the form `a.b.c.d/n`'],
    ['10.0.0.1000/16', 'it is not of the form `a.b.c.d/n`'],
    ['10.0.0.0/100', 'it is not of the form `a.b.c.d/n`'],
    ['a.b.c.d/n', 'it is not of the form `a.b.c.d/n`'],
  ];
  for (const [text, problem, meant] of cases) {
    assert.equal(parseCidr(text), undefined, text);
    assert.deepEqual(cidrProblem(text), meant === undefined ? { problem } : { problem, meant }, text);
  }
  assert.equal(cidrProblem('10.0.0.0/16'), undefined);
  assert.equal(cidrProblem('0.0.0.0/0'), undefined);
});

test('formats blocks back, and sizes them', () => {
  for (const text of ['0.0.0.0/0', '10.0.0.0/16', '192.168.255.240/28', '255.255.255.255/32', '172.16.0.0/12']) assert.equal(formatCidr(c(text)), text);
  assert.equal(blockSize(32), 1);
  assert.equal(blockSize(28), 16);
  assert.equal(blockSize(16), 65536);
  assert.equal(blockSize(0), 2 ** 32);
});

test('containment: inside, equal, just outside at either end, larger', () => {
  const vpc = c('10.0.0.0/16');
  assert.ok(contains(vpc, c('10.0.0.0/16')), 'equal');
  assert.ok(contains(vpc, c('10.0.0.0/24')), 'first block');
  assert.ok(contains(vpc, c('10.0.255.0/24')), 'last block');
  assert.ok(contains(vpc, c('10.0.255.255/32')), 'last address');
  assert.ok(!contains(vpc, c('10.1.0.0/24')), 'just after');
  assert.ok(!contains(vpc, c('9.255.255.0/24')), 'just before');
  assert.ok(!contains(vpc, c('10.0.0.0/15')), 'larger, same start');
  assert.ok(!contains(c('10.0.0.0/24'), vpc), 'the other way round');
});

test('overlap: shared addresses, adjacent blocks, one inside the other', () => {
  assert.ok(overlaps(c('10.0.0.0/24'), c('10.0.0.0/24')));
  assert.ok(overlaps(c('10.0.0.0/23'), c('10.0.1.0/24')));
  assert.ok(overlaps(c('10.0.1.0/24'), c('10.0.0.0/23')));
  assert.ok(overlaps(c('10.0.0.255/32'), c('10.0.0.0/24')));
  assert.ok(!overlaps(c('10.0.0.0/24'), c('10.0.1.0/24')), 'adjacent');
  assert.ok(!overlaps(c('10.0.1.0/24'), c('10.0.0.0/24')), 'adjacent, the other way round');
  assert.ok(!overlaps(c('10.0.0.0/25'), c('10.0.0.128/25')));
});

test('carving: the index-th block, and a block past the end or larger than the outer one is a RangeError', () => {
  const vpc = c('10.0.0.0/16');
  assert.equal(formatCidr(subnetAt(vpc, 20, 0)), '10.0.0.0/20');
  assert.equal(formatCidr(subnetAt(vpc, 20, 15)), '10.0.240.0/20');
  assert.equal(formatCidr(subnetAt(vpc, 16, 0)), '10.0.0.0/16');
  assert.throws(() => subnetAt(vpc, 20, 16), /^RangeError: block 16 of \/20 does not fit in 10\.0\.0\.0\/16$/);
  assert.throws(() => subnetAt(vpc, 15, 0), /^RangeError: block 0 of \/15 does not fit in 10\.0\.0\.0\/16$/);
});

test('reserved ranges: each found from its first to its last address, their neighbours not', () => {
  assert.deepEqual(RESERVED_RANGES.map((r) => r.cidr), ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4']);
  const inside: [string, string][] = [
    ['0.0.0.0/16', '0.0.0.0/8'],
    ['0.255.255.0/24', '0.0.0.0/8'],
    ['127.0.0.0/16', '127.0.0.0/8'],
    ['127.255.255.255/32', '127.0.0.0/8'],
    ['169.254.0.0/24', '169.254.0.0/16'],
    ['169.254.169.254/32', '169.254.0.0/16'],
    ['224.0.0.0/24', '224.0.0.0/4'],
    ['239.255.255.0/24', '224.0.0.0/4'],
    ['240.0.0.0/16', '240.0.0.0/4'],
    ['255.255.255.255/32', '240.0.0.0/4'],
    ['0.0.0.0/0', '0.0.0.0/8'],
    ['120.0.0.0/5', '127.0.0.0/8'],
  ];
  for (const [text, range] of inside) assert.equal(reservedRange(c(text))?.cidr, range, text);
  for (const text of ['1.0.0.0/16', '126.255.255.0/24', '128.0.0.0/16', '169.253.255.0/24', '169.255.0.0/16', '223.255.255.0/24', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) {
    assert.equal(reservedRange(c(text)), undefined, text);
  }
});
