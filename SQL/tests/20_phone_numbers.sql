-- Phone numbers as each unit's country writes them (issue 18), hand-checked cases: the
-- normalisation under a unit's country code (national and trunk prefixes, international call
-- prefixes, extensions), lookups in units of different countries, the numbering table as
-- read-only reference data, and the rules compiled from it. The generated cases of
-- Scripts/lib/phone_cases.py (libphonenumber as the oracle) run in Scripts/test besides these.
begin;
select plan(44);

-- The numbering rules ---------------------------------------------------------------------------
select is((select array[national_prefix, international_prefix] from crm.phone_numbering where country_code = '1'),
    array['1', '011'], 'NANP: national prefix 1, international prefix 011');
select is((select array[national_prefix, international_prefix] from crm.phone_numbering where country_code = '7'),
    array['8', '810'], 'Russia: national prefix 8, international prefix 810');
select is((select national_prefix from crm.phone_numbering where country_code = '39'), null, 'Italy: no national prefix (the 0 is part of the number)');
select ok((select bool_and(exists (select 1 from crm.phone_numbering n where n.country_code = c))
             from unnest(array['1', '7', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
                               '61', '81', '86', '91', '55', '52']) c),
    'the countries of the issue have rules');

select lives_ok($$select count(*) from crm.phone_numbering
                   where '1' ~ ('^(?:' || national_number_pattern || ')$') or '1' ~ ('^(?:' || international_prefix || ')')
                      or '1' ~ ('^(?:' || coalesce(national_prefix_for_parsing, '0') || ')')$$,
    'every pattern of the table is a regular expression PostgreSQL understands');

-- A unit of the NANP (country code 1) -----------------------------------------------------------
select is(crm.normalize_phone('415-555-0134', '1'), '+14155550134', 'NANP: 415-555-0134 is +1 415 555 0134');
select is(crm.normalize_phone('(415) 555-0134', '1'), '+14155550134', 'NANP: (415) 555-0134');
select is(crm.normalize_phone('1 415 555 0134', '1'), '+14155550134', 'NANP: with the national prefix 1');
select is(crm.normalize_phone('415.555.0134', '1'), '+14155550134', 'NANP: with dots');
select is(crm.normalize_phone('011 44 20 7946 0958', '1'), '+442079460958', 'NANP: 011 is the international call prefix');
select is(crm.normalize_phone('+1 415 555 0134', '49'), '+14155550134', 'a NANP number written internationally in a German unit');

-- A unit in Great Britain (44) -----------------------------------------------------------------
select is(crm.normalize_phone('020 7946 0958', '44'), '+442079460958', 'GB: 020 7946 0958 is +44 20 7946 0958');
select is(crm.normalize_phone('+44 (0)20 7946 0958', '44'), '+442079460958', 'GB: the (0) after the country code is dropped');
select is(crm.normalize_phone('00 1 415 555 0134', '44'), '+14155550134', 'GB: 00 is the international call prefix');

-- Italy (39): the leading 0 stays ----------------------------------------------------------------
select is(crm.normalize_phone('06 1234 5678', '39'), '+390612345678', 'IT: 06 1234 5678 keeps its 0: +39 06 1234 5678');
select is(crm.normalize_phone('+39 06 1234 5678', '49'), '+390612345678', 'IT: written internationally in a German unit, the 0 stays');
select is(crm.normalize_phone('0039 06 1234 5678', '44'), '+390612345678', 'IT: dialled from GB');

-- Russia (7) -------------------------------------------------------------------------------------
select is(crm.normalize_phone('8 (495) 123-45-67', '7'), '+74951234567', 'RU: national prefix 8');
select is(crm.normalize_phone('810 49 30 1234567', '7'), '+49301234567', 'RU: 810 is the international call prefix');

-- Germany (49, the default when a unit has no country) keeps its old behaviour --------------------
select is(crm.normalize_phone('030 7654321', '49'), '+49307654321', 'DE: 030 7654321');
select is(crm.normalize_phone('0049-30-765 4321', '49'), '+49307654321', 'DE: 0049-30-765 4321');
select is(crm.normalize_phone('(030) 765-4321'), '+49307654321', 'DE is the default country');
select is(crm.normalize_phone('49301234567', '49'), '+49301234567', 'DE: written with the country code but no +');

-- Extensions: not part of the key, available apart ----------------------------------------------
select is(crm.normalize_phone('+1 415 555 0134 ext. 12', '1'), '+14155550134', 'extension "ext. 12" is not part of the number');
select is(crm.normalize_phone('415-555-0134 x12', '1'), '+14155550134', 'extension "x12"');
select is(crm.normalize_phone('+44 20 7946 0958;ext=7', '44'), '+442079460958', 'extension ";ext=7"');
select is(array[crm.phone_extension('415-555-0134 x12'), crm.phone_extension('+1 415 555 0134 ext. 12'),
                crm.phone_extension('+44 20 7946 0958;ext=7'), crm.phone_extension('020 7946 0958')],
    array['12', '12', '7', null], 'the extension, kept apart');

-- Not phone numbers -------------------------------------------------------------------------------
select is(array[crm.normalize_phone('12', '49'), crm.normalize_phone('not a phone', '1'), crm.normalize_phone('', '44'),
                crm.normalize_phone(null, '44'), crm.normalize_phone('+0 123 456789', '49')],
    array[null, null, null, null, null]::text[], 'too short, letters, empty, NULL and a code starting with 0 are no numbers');

-- Lookups under each unit's country ---------------------------------------------------------------
insert into crm.tenant (id, slug, name, settings) values
    ('00000000-0000-0000-0000-0000000020a1', 'phone-us', 'US unit', '{"default_country_code": "1"}'),
    ('00000000-0000-0000-0000-0000000020a2', 'phone-gb', 'GB unit', '{"default_country_code": "44"}');
set local role crm_unit;
select set_config('crm.tenant', 'phone-us', true);
select is(crm.unit_country_code(), '1', 'the unit''s country code from its settings');
select lives_ok($$select crm.create_customer('{"name": "Caller US", "phones": ["415-555-0134"]}')$$, 'a US unit stores 415-555-0134');
select is((select phones from crm.customer where name = 'Caller US'), array['+14155550134'], 'stored in E.164');
select is(crm.lookup_customer('+1 (415) 555-0134')->'customer'->>'name', 'Caller US', 'found by +1 (415) 555-0134');
select is(crm.lookup_customer('1-415-555-0134 ext. 9')->'customer'->>'name', 'Caller US', 'found by 1-415-555-0134 ext. 9');
select set_config('crm.tenant', 'phone-gb', true);
select lives_ok($$select crm.create_customer('{"name": "Caller GB", "phones": ["+44 20 7946 0958"]}')$$, 'a GB unit stores +44 20 7946 0958');
select is(crm.lookup_customer('020 7946 0958')->'customer'->>'name', 'Caller GB', 'found by 020 7946 0958 in the GB unit');

-- The table is reference data: readable, not writable by request roles -----------------------------
select throws_ok($$insert into crm.phone_numbering (country_code, region, international_prefix, possible_lengths, national_number_pattern)
                   values ('212', 'MA', '00', '{9}', '\d{9}')$$, '42501', null, 'a unit cannot add numbering rules');
reset role;

-- Rules are data: a new country works as soon as its row is there --------------------------------
set local role crm_owner;
insert into crm.phone_numbering (country_code, region, national_prefix, national_prefix_for_parsing, international_prefix,
                                 possible_lengths, national_number_pattern)
values ('212', 'MA', '0', '0', '00', '{9}', '[5-8]\d{8}');
select is(crm.normalize_phone('0612-345678', '212'), '+212612345678', 'a row added: Morocco''s numbers follow its rules at once');
reset role;
select is((select count(*)::int from crm_meta.phone_key_rules), 1, 'the rules the stored keys were computed with are recorded');

-- Keys stored by the old rules are recomputed: a US number written nationally was taken for
-- +41..., a GB number written +44 (0)20... kept its 0 -------------------------------------------
insert into crm.customer (tenant_id, name, phones) values
    ('00000000-0000-0000-0000-0000000020a1', 'Old US', '{+4155550135,+442079460958}'),
    ('00000000-0000-0000-0000-0000000020a2', 'Old GB', '{+4402079460959}');
select is(array[crm.phone_key_now('+4155550135', '1'), crm.phone_key_now('+4402079460959', '44'),
                crm.phone_key_now('+442079460958', '1'), crm.phone_key_now('+41445551234', '1')],
    array['+14155550135', '+442079460959', '+442079460958', '+41445551234'],
    'old keys under the rules in force: mistaken national numbers and kept trunk prefixes change, valid numbers stay');
select cmp_ok(crm.recompute_phone_keys('test'), '>=', 2, 'the stored keys are recomputed');
select is((select phones from crm.customer where name = 'Old US'), array['+14155550135', '+442079460958'], 'the US customer''s keys');
select is((select array_agg(value order by value) from crm.customer_contact k join crm.customer c on c.tenant_id = k.tenant_id and c.id = k.customer_id
            where c.name = 'Old GB'), array['+442079460959'], 'the contact index follows');
select is((select count(*)::int from crm.audit_log where action = 'renormalise' and detail->>'rules' = 'test'
             and tenant_id in ('00000000-0000-0000-0000-0000000020a1', '00000000-0000-0000-0000-0000000020a2')), 2, 'an audit entry per unit');
set local role crm_unit;
select set_config('crm.tenant', 'phone-us', true);
select is(crm.lookup_customer('415-555-0135')->'customer'->>'name', 'Old US', 'the old customer is found the new way');
reset role;

select * from finish();
rollback;
