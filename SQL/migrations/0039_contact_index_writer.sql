-- The contact index (crm.customer_contact) at import size (issue 15). 100,000 customers into a
-- unit of 1,000,000 took 6.4 s, 3.9 s of them writing the 200,000 contact rows: three b-trees per
-- row, and a foreign-key check per row (1.3 s: a query through SPI that also locks the customer
-- row just inserted).
--  * One b-tree fewer: the primary key starts with the value, which is how every lookup and
--    duplicate check probes the table, so the separate index on value goes.
--  * No per-row foreign-key check. The table is an index the database keeps, not data anyone
--    writes: only the triggers on crm.customer write it (SQL/repeatable/23_rollup_triggers.sql),
--    from the customer rows themselves, as the narrow role crm_contactindex (security definer),
--    so every row names a customer by construction. Unit roles lose INSERT and DELETE on it.
--    Deleting a customer (a DBA's act; units cannot) removes its rows through a statement trigger,
--    as the foreign key's ON DELETE CASCADE did.
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_contactindex') then
        create role crm_contactindex nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
end $$;
-- crm_owner creates and replaces the trigger functions and hands them to crm_contactindex.
grant crm_contactindex to crm_owner;

set local role crm_owner;

grant usage on schema crm to crm_contactindex;
grant select, insert, delete on crm.customer_contact to crm_contactindex;
alter default privileges for role crm_contactindex revoke execute on functions from public;

alter table crm.customer_contact drop constraint customer_contact_tenant_id_customer_id_fkey;
alter table crm.customer_contact drop constraint customer_contact_pkey;
alter table crm.customer_contact add primary key (value, kind, tenant_id, customer_id);
drop index crm.customer_contact_value;

revoke insert, delete on crm.customer_contact from crm_unit;
drop policy "unit users index their own customers' contact details" on crm.customer_contact;
drop policy "unit users re-index their own customers' contact details" on crm.customer_contact;
create policy "the contact index's triggers write it" on crm.customer_contact for all to crm_contactindex
    using (true) with check (true);

-- The function bodies live in SQL/repeatable/23_rollup_triggers.sql (this one was defined in 0016
-- and again in 0023); the trigger is re-created there too.
drop trigger customer_contact_sync on crm.customer;
drop function crm.sync_customer_contact();
