-- Issue 18: phone numbers as each unit's country writes them. The numbering rules of the
-- countries a unit may be in, as data: what crm.normalize_phone (SQL/repeatable/11_phone_numbers.sql)
-- follows to turn "415-555-0134" in a unit of country code 1, or "020 7946 0958" in one of 44,
-- into E.164. The rules are libphonenumber's metadata (its Python port `phonenumbers`), taken per
-- calling code from the code's main region; Scripts/lib/phone_numbering_rows.py prints these rows.
-- Global reference data: readable by every request role (a unit's country must be one of these
-- codes, partners and DBAs see the same rules), writable by its owner only. A change of the rows
-- takes effect through crm.compile_phone_rules() (run by the statement trigger of the repeatable
-- file and on every migrate), and the stored keys follow at the next migrate.
set local role crm_owner;

create table crm.phone_numbering (
    country_code               text    primary key check (country_code ~ '^[1-9][0-9]{0,2}$'),
    region                     text    not null check (region ~ '^[A-Z]{2}$'),
    national_prefix            text    check (national_prefix ~ '^[0-9]+$'),
    national_prefix_for_parsing text,
    national_prefix_transform  text,
    international_prefix       text    not null,
    possible_lengths           int[]   not null check (cardinality(possible_lengths) > 0),
    national_number_pattern    text    not null
);
comment on table crm.phone_numbering is
    'Numbering rules per country calling code (libphonenumber metadata of the code''s main region): how numbers are written nationally and dialled abroad there. Read by crm.normalize_phone through crm.phone_rule, which crm.compile_phone_rules builds from these rows.';
comment on column crm.phone_numbering.country_code is 'The country calling code, digits without "+" (1 for the NANP countries, 44, 49, 7, ...).';
comment on column crm.phone_numbering.region is 'The code''s main region (ISO 3166-1 alpha-2): US for 1, RU for 7, GB for 44; the other regions sharing the code follow the same rules here.';
comment on column crm.phone_numbering.national_prefix is 'The trunk prefix dialled before a national number (0 in DE, GB, FR; 1 in the NANP; 8 in RU); null where there is none (IT, ES, DK, NO, ...: a leading 0 of an Italian number is part of it).';
comment on column crm.phone_numbering.national_prefix_for_parsing is 'Regular expression (ARE, matched at the start of the national digits) of what is stripped as the national prefix, carrier codes included (BR, CO, KR); null: nothing is stripped.';
comment on column crm.phone_numbering.national_prefix_transform is 'Replacement applied instead of stripping when the last group of national_prefix_for_parsing matched (AR, BR, JP); null: plain stripping.';
comment on column crm.phone_numbering.international_prefix is 'Regular expression of the international call prefix dialled before a country code (00; 011 in the NANP; 810 in RU; 0011 and others in AU).';
comment on column crm.phone_numbering.possible_lengths is 'Possible lengths of a national significant number (without trunk prefix).';
comment on column crm.phone_numbering.national_number_pattern is 'Regular expression every national significant number of the country matches in full (libphonenumber''s general description).';

insert into crm.phone_numbering (country_code, region, national_prefix, national_prefix_for_parsing,
                                 national_prefix_transform, international_prefix, possible_lengths,
                                 national_number_pattern) values
    ('1', 'US', '1', '1', null, '011', '{10}', '[2-9]\d{9}|3\d{6}'),
    ('7', 'RU', '8', '8', null, '810', '{10,14}', '8\d{13}|[347-9]\d{9}'),
    ('20', 'EG', '0', '0', null, '00', '{8,9,10}', '[189]\d{8,9}|[24-6]\d{8}|[135]\d{7}'),
    ('27', 'ZA', '0', '0', null, '00', '{5,6,7,8,9,10}', '[1-79]\d{8}|8\d{4,9}'),
    ('30', 'GR', null, null, null, '00', '{10,11,12}', '5005000\d{3}|8\d{9,11}|(?:[269]\d|70)\d{8}'),
    ('31', 'NL', '0', '0', null, '00', '{5,6,7,8,9,10,11}', '(?:[124-7]\d\d|3(?:[02-9]\d|1[0-8]))\d{6}|8\d{6,9}|9\d{6,10}|1\d{4,5}'),
    ('32', 'BE', '0', '0', null, '00', '{8,9}', '4\d{8}|[1-9]\d{7}'),
    ('33', 'FR', '0', '0', null, '00', '{9}', '[1-9]\d{8}'),
    ('34', 'ES', null, null, null, '00', '{9}', '400\d{6}|(?:51|[6-9]\d)\d{7}'),
    ('36', 'HU', '06', '06', null, '00', '{8,9}', '[235-7]\d{8}|[1-9]\d{7}'),
    ('39', 'IT', null, null, null, '00', '{6,7,8,9,10,11,12}', '0\d{5,11}|1\d{8,10}|3(?:[0-8]\d{7,10}|9\d{7,8})|(?:43|55|70)\d{8}|8\d{5}(?:\d{2,4})?'),
    ('40', 'RO', '0', '0', null, '00', '{6,9}', '(?:[2378]\d|90)\d{7}|[23]\d{5}'),
    ('41', 'CH', '0', '0', null, '00', '{9,12}', '8\d{11}|[2-9]\d{8}'),
    ('43', 'AT', '0', '0', null, '00', '{4,5,6,7,8,9,10,11,12,13}', '1\d{3,12}|2\d{6,12}|43(?:(?:0\d|5[02-9])\d{3,9}|2\d{4,5}|[3467]\d{4}|8\d{4,6}|9\d{4,7})|5\d{4,12}|8\d{7,12}|9\d{8,12}|(?:[367]\d|4[0-24-9])\d{4,11}'),
    ('44', 'GB', '0', '0|180020', null, '00', '{7,9,10}', '[1-357-9]\d{9}|[18]\d{8}|8\d{6}'),
    ('45', 'DK', null, null, null, '00', '{8}', '[2-9]\d{7}'),
    ('46', 'SE', '0', '0', null, '00', '{6,7,8,9,10,12}', '(?:[26]\d\d|9)\d{9}|[1-9]\d{8}|[1-689]\d{7}|[1-4689]\d{6}|2\d{5}'),
    ('47', 'NO', null, null, null, '00', '{5,8}', '(?:0|[2-9]\d{3})\d{4}'),
    ('48', 'PL', null, null, null, '00', '{6,7,8,9,10}', '(?:6|8\d\d)\d{7}|[1-9]\d{6}(?:\d{2})?|[26]\d{5}'),
    ('49', 'DE', '0', '0', null, '00', '{4,5,6,7,8,9,10,11,12,13,14,15}', '[2579]\d{5,14}|49(?:[34]0|69|8\d)\d\d?|49(?:37|49|60|7[089]|9\d)\d{1,3}|49(?:2[024-9]|3[2-689]|7[1-7])\d{1,8}|(?:1|[368]\d|4[0-8])\d{3,13}|49(?:[015]\d|2[13]|31|[46][1-8])\d{1,9}'),
    ('51', 'PE', '0', '0', null, '00|19(?:1[124]|77|90)00', '{8,9}', '(?:[14-8]|9\d)\d{7}'),
    ('52', 'MX', null, null, null, '0[09]', '{10}', '[2-9]\d{9}'),
    ('54', 'AR', '0', '0?(?:(11|2(?:2(?:02?|[13]|2[13-79]|4[1-6]|5[2457]|6[124-8]|7[1-4]|8[13-6]|9[1267])|3(?:02?|1[467]|2[03-6]|3[13-8]|[49][2-6]|5[2-8]|[67])|4(?:7[3-578]|9)|6(?:[0136]|2[24-6]|4[6-8]?|5[15-8])|80|9(?:0[1-3]|[19]|2\d|3[1-6]|4[02568]?|5[2-4]|6[2-46]|72?|8[23]?))|3(?:3(?:2[79]|6|8[2578])|4(?:0[0-24-9]|[12]|3[5-8]?|4[24-7]|5[4-68]?|6[02-9]|7[126]|8[2379]?|9[1-36-8])|5(?:1|2[1245]|3[237]?|4[1-46-9]|6[2-4]|7[1-6]|8[2-5]?)|6[24]|7(?:[069]|1[1568]|2[15]|3[145]|4[13]|5[14-8]|7[2-57]|8[126])|8(?:[01]|2[15-7]|3[2578]?|4[13-6]|5[4-8]?|6[1-357-9]|7[36-8]?|8[5-8]?|9[124])))15)?', '9\1', '00', '{10,11}', '(?:11|[89]\d\d)\d{8}|[2368]\d{9}'),
    ('55', 'BR', '0', '(?:0|90)(?:(1[245]|2[1-35]|31|4[13]|[56]5|99)(\d{10,11}))?', '\2', '00(?:1[245]|2[1-35]|31|4[13]|[56]5|99)', '{8,9,10,11}', '[1-467]\d{9,10}|55[0-46-9]\d{8}|[34]\d{7}|55\d{7,8}|(?:5[0-46-9]|[89]\d)\d{7,9}'),
    ('56', 'CL', null, null, null, '(?:0|1(?:1[0-69]|2[02-5]|5[13-58]|69|7[0167]|8[018]))0', '{9,10,11}', '12300\d{6}|6\d{9,10}|[2-9]\d{8}'),
    ('57', 'CO', '0', '0([3579]|4(?:[14]4|56))?', null, '00(?:4(?:[14]4|56)|[579])', '{8,10,11}', '(?:46|60\d\d)\d{6}|(?:1\d|[39])\d{9}'),
    ('60', 'MY', '0', '0', null, '00', '{8,9,10}', '1\d{8,9}|(?:3\d|[4-9])\d{7}'),
    ('61', 'AU', '0', '(183[12])|0', null, '001[14-689]|14(?:1[14]|34|4[17]|[56]6|7[47]|88)0011', '{5,6,7,8,9,10,12}', '1(?:[0-79]\d{7}(?:\d(?:\d{2})?)?|8[0-24-9]\d{7})|[2-478]\d{8}|1\d{4,7}'),
    ('62', 'ID', '0', '0', null, '00[89]', '{7,8,9,10,11,12,13,14,15,16,17}', '00[1-9]\d{9,14}|(?:[1-36]|8\d{5})\d{6}|00\d{9}|[1-9]\d{8,10}|[2-9]\d{7}'),
    ('63', 'PH', '0', '0', null, '00', '{6,8,9,10,11,12,13}', '(?:[2-7]|9\d)\d{8}|2\d{5}|(?:1800|8)\d{7,9}'),
    ('64', 'NZ', '0', '0', null, '0(?:0|161)', '{5,6,7,8,9,10}', '[1289]\d{9}|50\d{5}(?:\d{2,3})?|[27-9]\d{7,8}|(?:[34]\d|6[0-35-9])\d{6}|8\d{4,6}'),
    ('65', 'SG', null, null, null, '0[0-3]\d', '{8,10,11}', '(?:(?:1\d|8)\d\d|7000)\d{7}|[3689]\d{7}'),
    ('66', 'TH', '0', '0', null, '00[1-9]', '{8,9,10,13}', '(?:001800|[2-57]|[689]\d)\d{7}|1\d{7,9}'),
    ('81', 'JP', '0', '(000[2569]\d{4,6})$|(?:(?:003768)0?)|0', '\1', '010', '{8,9,10,11,12,13,14,15,16,17}', '00[1-9]\d{6,14}|[25-9]\d{9}|(?:00|[1-9]\d\d)\d{6}'),
    ('82', 'KR', '0', '0(8(?:[1-46-8]|5\d\d))?', null, '00(?:[125689]|3(?:[46]5|91)|7(?:00|27|3|55|6[126]))', '{5,6,8,9,10,11,12,13,14}', '00[1-9]\d{8,11}|(?:[12]|5\d{3})\d{7}|[13-6]\d{9}|(?:[1-6]\d|80)\d{7}|[3-6]\d{4,5}|(?:00|7)0\d{8}'),
    ('84', 'VN', '0', '0', null, '00', '{7,8,9,10}', '[12]\d{9}|[135-9]\d{8}|[16]\d{6,7}|7\d{6}'),
    ('86', 'CN', '0', '(1(?:[12]\d|79)\d\d)|0', null, '00|1(?:[12]\d|79)\d\d00', '{7,8,9,10,11,12}', '(?:(?:1[03-689]|2\d)\d\d|6)\d{8}|1\d{10}|[126]\d{6}(?:\d(?:\d{2})?)?|86\d{5,6}|(?:[3-579]\d|8[0-57-9])\d{5,9}'),
    ('90', 'TR', '0', '0', null, '00', '{7,10,12,13}', '4\d{6}|8\d{11,12}|(?:[2-58]\d\d|900)\d{7}'),
    ('91', 'IN', '0', '0', null, '00', '{8,9,10,11,12,13}', '(?:000800|[2-9]\d\d)\d{7}|1\d{7,12}'),
    ('92', 'PK', '0', '0', null, '00', '{8,9,10,11,12}', '122\d{6}|[24-8]\d{10,11}|9(?:[013-9]\d{8,10}|2(?:[01]\d\d|2(?:[06-8]\d|1[01]))\d{7})|(?:[2-8]\d{3}|92(?:[0-7]\d|8[1-9]))\d{6}|[24-9]\d{8}|[89]\d{7}'),
    ('351', 'PT', null, null, null, '00', '{9}', '1693\d{5}|(?:[26-9]\d|30)\d{7}'),
    ('352', 'LU', null, '(15(?:0[06]|1[12]|[35]5|4[04]|6[26]|77|88|99)\d)', null, '00', '{4,5,6,7,8,9,10,11}', '35[013-9]\d{4,8}|6\d{8}|35\d{2,4}|(?:[2457-9]\d|3[0-46-9])\d{2,9}'),
    ('353', 'IE', '0', '0', null, '00', '{7,8,9,10}', '(?:1\d|[2569])\d{6,8}|4\d{6,9}|7\d{8}|8\d{8,9}'),
    ('354', 'IS', null, null, null, '00|1(?:0(?:01|[12]0)|100)', '{7,9}', '(?:38\d|[4-9])\d{6}'),
    ('356', 'MT', null, null, null, '00', '{8}', '3550\d{4}|(?:[2579]\d\d|800)\d{5}'),
    ('357', 'CY', null, null, null, '00', '{8}', '(?:[279]\d|[58]0)\d{6}'),
    ('358', 'FI', '0', '0', null, '00|99(?:[01469]|5(?:[14]1|3[23]|5[59]|77|88|9[09]))', '{5,6,7,8,9,10,11,12}', '[1-35689]\d{4}|7\d{10,11}|(?:[124-7]\d|3[0-46-9])\d{8}|[1-9]\d{5,8}'),
    ('359', 'BG', '0', '0', null, '00', '{6,7,8,9,12}', '00800\d{7}|[2-7]\d{6,7}|[89]\d{6,8}|2\d{5}'),
    ('370', 'LT', '0', '[08]', null, '00', '{8}', '(?:[3469]\d|52|[78]0)\d{6}'),
    ('371', 'LV', null, null, null, '00', '{8}', '(?:[268]\d|78|90)\d{6}'),
    ('372', 'EE', null, null, null, '00', '{7,8,10}', '8\d{9}|[4578]\d{7}|(?:[3-8]\d|90)\d{5}'),
    ('380', 'UA', '0', '0', null, '00', '{9,10}', '[89]\d{9}|[3-9]\d{8}'),
    ('385', 'HR', '0', '0', null, '00', '{7,8,9}', '[2-69]\d{8}|80\d{5,7}|[1-79]\d{7}|6\d{6}'),
    ('386', 'SI', '0', '0', null, '00|10(?:22|66|88|99)', '{5,6,7,8}', '[1-7]\d{7}|8\d{4,7}|90\d{4,6}'),
    ('420', 'CZ', null, null, null, '00', '{9,10,11,12}', '(?:[2-578]\d|60)\d{7}|9\d{8,11}'),
    ('421', 'SK', '0', '0', null, '00', '{6,7,9}', '[2-689]\d{8}|[2-59]\d{6}|[2-5]\d{5}'),
    ('852', 'HK', null, null, null, '00(?:30|5[09]|[126-9]?)', '{5,6,7,8,9,11}', '8[0-46-9]\d{6,7}|9\d{4,7}|(?:[2-7]|9\d{3})\d{7}'),
    ('966', 'SA', '0', '0', null, '00', '{9,10}', '(?:[15]\d|800|92)\d{7}'),
    ('971', 'AE', '0', '0', null, '00', '{5,6,7,8,9,10,11,12}', '(?:[4-7]\d|9[0-689])\d{7}|800\d{2,9}|[2-4679]\d{7}'),
    ('972', 'IL', '0', '0', null, '0(?:0|1(?:05|[2-9]))', '{7,8,9,10,11,12}', '1\d{6}(?:\d{3,5})?|[57]\d{8}|[1-489]\d{7}');

insert into crm.reference_table values ('crm.phone_numbering');

alter table crm.phone_numbering enable row level security;
grant select on crm.phone_numbering to crm_unit, crm_viewer, crm_partner, crm_reporter;
create policy "every request role reads the numbering rules" on crm.phone_numbering for select
    to crm_unit, crm_viewer, crm_partner, crm_reporter using (true);

-- Which rules the stored phone keys (crm.customer.phones and the contact index, lead and deal
-- phones) were last computed with: SQL/repeatable/11_phone_numbers.sql recomputes the keys of
-- every unit whose normalisation changed when this differs from the rules in force. Kept by the
-- migrating role, like the migration checksums.
reset role;
create table crm_meta.phone_key_rules (
    singleton   boolean     primary key default true check (singleton),
    fingerprint text        not null,
    applied_at  timestamptz not null default now()
);
comment on table crm_meta.phone_key_rules is 'The fingerprint (md5 of the normalisation function and the compiled rules) the stored phone keys were last recomputed with.';
