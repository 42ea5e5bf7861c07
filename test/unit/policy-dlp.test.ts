// DLP templates: check digits on well-known test numbers, detection in text as people write
// numbers, masking in evidence, and minCount over distinct numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cardBrand,
  creditCardValid,
  ibanValid,
  luhnValid,
  myNumberValid,
  usSsnValid,
} from '../../src/policy/dlp/checksums.js';
import { detect, mask } from '../../src/policy/dlp/detectors.js';
import { dlpCondition } from '../../src/policy/conditions/dlp.js';
import { attachment, context, file } from '../helpers/policy-fixtures.js';

test('credit cards: Luhn, known prefixes and lengths', () => {
  for (const [n, brand] of [
    ['4111111111111111', 'Visa'],
    ['4222222222222', 'Visa'],
    ['5555555555554444', 'Mastercard'],
    ['2223003122003222', 'Mastercard'],
    ['378282246310005', 'American Express'],
    ['6011111111111117', 'Discover'],
    ['3530111333300000', 'JCB'],
    ['30569309025904', 'Diners Club'],
    ['6200000000000005', 'UnionPay'],
  ] as const) {
    assert.ok(creditCardValid(n), n);
    assert.equal(cardBrand(n), brand);
  }
  assert.equal(creditCardValid('4111111111111112'), false, 'Luhn digit wrong');
  assert.equal(luhnValid('1234567812345670'), true);
  assert.equal(creditCardValid('1234567812345670'), false, 'Luhn-valid but no card brand starts with 1');
  assert.equal(creditCardValid('378282246310005'.padEnd(16, '0')), false, 'American Express has 15 digits');
  assert.equal(creditCardValid('411111111111'), false, 'too short');
});

test('My Number: check digit per the official algorithm', () => {
  assert.ok(myNumberValid('123456789018'));
  assert.equal(myNumberValid('123456789012'), false);
  assert.equal(myNumberValid('12345678901'), false, '11 digits');
  assert.equal(myNumberValid('000000000000'), false, 'placeholder of one digit');
});

test('IBAN: country length and mod 97', () => {
  for (const n of [
    'GB82WEST12345698765432',
    'GB29NWBK60161331926819',
    'DE89370400440532013000',
    'FR1420041010050500013M02606',
    'NL91ABNA0417164300',
  ])
    assert.ok(ibanValid(n), n);
  assert.equal(ibanValid('GB82WEST12345698765433'), false, 'check digits wrong');
  assert.equal(ibanValid('DE8937040044053201300'), false, 'one character short for Germany');
  assert.equal(ibanValid('XX82WEST12345698765432'), false, 'no such country');
});

test('US SSN: area, group and serial rules', () => {
  assert.ok(usSsnValid('536904399'));
  for (const n of ['000123456', '666123456', '912345678', '123004567', '123450000', '078051120', '219099999'])
    assert.equal(usSsnValid(n), false, n);
});

test('masking keeps the last four characters and the separators', () => {
  assert.equal(mask('4111 1111 1111 1111'), '**** **** **** 1111');
  assert.equal(mask('4111-1111-1111-1111'), '****-****-****-1111');
  assert.equal(mask('GB82 WEST 1234 5698 7654 32', 4, 2), 'GB** **** **** **** **54 32');
});

test('cards are found spaced, dashed, run together, in full-width digits, and after a stray number', () => {
  const text =
    'card 4111 1111 1111 1111; amex 3782-822463-10005; ５５５５５５５５５５５５４４４４; qty 2 6011 1111 1111 1117';
  assert.deepEqual(
    detect('credit-card', text).map((f) => [f.masked, f.label]),
    [
      ['**** **** **** 1111', 'Visa'],
      ['****-******-*0005', 'American Express'],
      ['************4444', 'Mastercard'],
      ['**** **** **** 1117', 'Discover'],
    ],
  );
  assert.deepEqual(detect('credit-card', 'invalid 4111 1111 1111 1112, order 20240115123456789'), []);
  assert.deepEqual(detect('credit-card', 'too long 41111111111111111111111'), [], 'part of a longer number');
});

test('My Number is found as 12 digits or 4-4-4, not inside other shapes', () => {
  assert.deepEqual(
    detect('my-number', '個人番号：１２３４ ５６７８ ９０１８ / 1234-5678-9018 / 123456789018').map(
      (f) => f.masked,
    ),
    ['**** **** 9018', '****-****-9018', '********9018'],
  );
  assert.deepEqual(
    detect('my-number', '1234-5678-9012 (wrong check digit), 12-3456-789018 (odd grouping)'),
    [],
  );
});

test('IBANs are found compact or in groups of four, and not when prose follows without a break', () => {
  const text =
    'Pay GB82 WEST 1234 5698 7654 32 today, or DE89370400440532013000. Bad: GB82 WEST 1234 5698 7654 33';
  assert.deepEqual(
    detect('iban', text).map((f) => f.masked),
    ['GB** **** **** **** **54 32', 'DE****************3000'],
  );
  assert.deepEqual(detect('iban', 'nl91abna0417164300').length, 1, 'lower case too');
  assert.deepEqual(detect('iban', 'XGB82WEST12345698765432'), []);
});

test('SSNs need the written form AAA-GG-SSSS', () => {
  assert.deepEqual(
    detect('us-ssn', 'SSN 536-90-4399, 536 90 4399, 536904399, 078-05-1120, 666-12-3456').map(
      (f) => f.masked,
    ),
    ['***-**-4399', '*** ** 4399'],
  );
});

test('the condition counts distinct numbers against minCount and never shows them whole', () => {
  const c = context(
    {
      subject: 'card 4111111111111111',
      textBody: '> 4111 1111 1111 1111\nnew one: 5555 5555 5555 4444',
      attachments: [attachment('2', { name: 'cards.csv' })],
    },
    [file('2', 'name,card\nA,378282246310005\n')],
  );
  const two = dlpCondition('credit-card', 3, ['subject', 'body', 'attachmentText']).evaluate(c);
  assert.equal(two[0]?.detail, '3 distinct numbers of template credit-card found (3 or more needed)');
  assert.deepEqual(
    two.slice(1).map((e) => [e.value, e.where, e.attachment]),
    [
      ['************1111', 'subject', undefined],
      ['**** **** **** 4444', 'body', undefined],
      ['***********0005', 'attachment:2', '2'],
    ],
  );
  assert.ok(!JSON.stringify(two).includes('4111111111111111'), 'no full number in evidence');
  assert.deepEqual(dlpCondition('credit-card', 4, ['subject', 'body', 'attachmentText']).evaluate(c), []);
  assert.deepEqual(dlpCondition('credit-card', 1, ['subject']).evaluate(c)[0], {
    condition: 'dlp',
    detail: 'Visa credit card number ************1111 in subject',
    where: 'subject',
    value: '************1111',
  });
});
