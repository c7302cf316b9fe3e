-- The contact index crm.customer_contact (0016, 0039, SQL/repeatable/19_customer_contact_index.sql):
-- only the triggers on crm.customer write it, from the customer rows themselves. A unit role can
-- neither forge a row (one naming no customer, or another unit's customer) nor delete one; new,
-- changed, merged and deleted customers keep it exact; a value repeated in a customer's array is
-- one row.
begin;
select plan(12);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000011a1', 'contact-a', 'A'), ('00000000-0000-0000-0000-0000000011b1', 'contact-b', 'B');
insert into crm.customer (tenant_id, name, phones, emails) values
    ('00000000-0000-0000-0000-0000000011b1', 'B''s customer', '{+4930200009}', '{b@contact.example}');

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000011a1', true);
-- One statement, three customers: the statement trigger writes 2 + 2 + 1 rows (the phone repeated
-- in Dora's array is one row).
insert into crm.customer (tenant_id, name, phones, emails) values
    (crm.current_tenant(), 'Anna', '{+4930200001}', '{anna@contact.example}'),
    (crm.current_tenant(), 'Dora', '{+4930200004,+4930200004}', '{dora@contact.example}'),
    (crm.current_tenant(), 'Emil', '{}', '{emil@contact.example}');
select is((select count(*)::int from crm.customer_contact where value like '%contact.example' or value like '+49302000%'), 5,
          'a new customer''s phones and emails are indexed once each (A sees its 5 rows)');
select throws_ok($$insert into crm.customer_contact (tenant_id, kind, value, customer_id)
                   values ('00000000-0000-0000-0000-0000000011a1', 'phone', '+4930299999', 1)$$, '42501', null,
                 'a unit role cannot write a contact row that names no customer');
select throws_ok($$insert into crm.customer_contact (tenant_id, kind, value, customer_id)
                   select tenant_id, 'email', 'forged@contact.example', customer_id from crm.customer_contact limit 1$$, '42501', null,
                 'a unit role cannot write a contact row for one of its own customers either');
select throws_ok($$delete from crm.customer_contact where value = 'anna@contact.example'$$, '42501', null,
                 'a unit role cannot delete a contact row');

-- A changed phone and email: the old values go, the new ones come.
update crm.customer set phones = '{+4930200011}', emails = '{anna.new@contact.example}' where name = 'Anna';
select is((select array_agg(value order by value) from crm.customer_contact k join crm.customer c on c.id = k.customer_id
            where c.name = 'Anna'), '{+4930200011,anna.new@contact.example}'::text[],
          'a changed customer''s rows are written again');
-- A rename alone leaves the index as it is.
update crm.customer set name = 'Emil E.' where name = 'Emil';
select is((select count(*)::int from crm.customer_contact k join crm.customer c on c.id = k.customer_id where c.name = 'Emil E.'), 1,
          'a rename keeps the customer''s one row');
-- A merge: the merged customer leaves the index.
update crm.customer set merged_into = (select id from crm.customer where name = 'Anna') where name = 'Dora';
select is((select count(*)::int from crm.customer_contact k join crm.customer c on c.id = k.customer_id where c.name = 'Dora'), 0,
          'a merged customer has no contact rows');
select is((select count(*)::int from crm.customer_contact where value like '%contact.example' or value like '+49302000%'), 3,
          'A sees 3 rows after the merge (Anna 2, Emil 1)');
select throws_ok($$delete from crm.customer where name = 'Emil E.'$$, '42501', null, 'a unit role cannot delete a customer');
reset role;

select is((select count(*)::int from crm.customer_contact where tenant_id = '00000000-0000-0000-0000-0000000011b1'), 2,
          'B''s rows are untouched by A');
-- A DBA deletes a customer: its rows go with it, as the old foreign key's cascade did.
delete from crm.customer where name = 'Emil E.';
select is((select count(*)::int from crm.customer_contact where value = 'emil@contact.example'), 0,
          'deleting a customer deletes its contact rows');
-- Every row names an existing customer of its own unit.
select is((select count(*)::int from crm.customer_contact k
            where not exists (select 1 from crm.customer c where c.tenant_id = k.tenant_id and c.id = k.customer_id)), 0,
          'no contact row names a missing customer');

select * from finish();
rollback;
