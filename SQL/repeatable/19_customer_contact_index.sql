-- The contact index (crm.customer_contact): one row per phone and email of every customer that is
-- not merged away, for lookups and duplicate checks by equality (see 0003_baseline_customers.sql). Only these
-- triggers write it, from the customer rows themselves: the functions run as the narrow role
-- crm_contactindex (security definer), which may write nothing but this table; unit roles may only
-- read it through their policies. The one definition of each function and trigger.
set local role crm_owner;

-- Contact rows of the customers one statement inserted (transition table new_customers): one
-- insert for an import of 100,000 customers. A value repeated in a customer's array is written
-- once (an element is skipped when an earlier one equals it), without hashing the whole set.
create or replace function crm.customer_contact_insert() returns trigger
    language plpgsql security definer set search_path = pg_catalog, crm as $$
begin
    insert into crm.customer_contact (tenant_id, kind, value, customer_id)
    select c.tenant_id, 'phone', u.v, c.id from new_customers c, unnest(c.phones) with ordinality u(v, n)
     where c.merged_into is null and (u.n = 1 or u.v <> all (c.phones[1:u.n - 1]))
    union all
    select c.tenant_id, 'email', u.v, c.id from new_customers c, unnest(c.emails) with ordinality u(v, n)
     where c.merged_into is null and (u.n = 1 or u.v <> all (c.emails[1:u.n - 1]));
    return null;
end $$;

-- A changed phone or email, or a merge: the customer's rows are written again.
create or replace function crm.sync_customer_contact() returns trigger
    language plpgsql security definer set search_path = pg_catalog, crm as $$
begin
    if new.phones = old.phones and new.emails = old.emails and new.merged_into is not distinct from old.merged_into then
        return null;
    end if;
    -- The old rows by their values (the primary key starts with the value; 0045).
    delete from crm.customer_contact k
     where k.value = any(old.phones || old.emails) and k.tenant_id = old.tenant_id and k.customer_id = old.id;
    if new.merged_into is null then
        insert into crm.customer_contact (tenant_id, kind, value, customer_id)
        select distinct new.tenant_id, 'phone', p, new.id from unnest(new.phones) p
        union all
        select distinct new.tenant_id, 'email', e, new.id from unnest(new.emails) e;
    end if;
    return null;
end $$;

-- Deleted customers (a DBA's act: unit roles cannot delete customers) take their rows with them,
-- as a foreign key's ON DELETE CASCADE would (the table has none: see 0003).
create or replace function crm.customer_contact_delete() returns trigger
    language plpgsql security definer set search_path = pg_catalog, crm as $$
begin
    delete from crm.customer_contact k
     using old_customers c, unnest(c.phones || c.emails) v(value)
     where k.value = v.value and k.tenant_id = c.tenant_id and k.customer_id = c.id;
    return null;
end $$;

-- Handed over as the migrating superuser (the new owner need not be able to create in the schema).
reset role;
alter function crm.customer_contact_insert() owner to crm_contactindex;
alter function crm.sync_customer_contact() owner to crm_contactindex;
alter function crm.customer_contact_delete() owner to crm_contactindex;
set local role crm_owner;
grant execute on function crm.customer_contact_insert(), crm.sync_customer_contact(), crm.customer_contact_delete() to crm_unit;

create or replace trigger customer_contact_insert after insert on crm.customer
    referencing new table as new_customers for each statement execute function crm.customer_contact_insert();
create or replace trigger customer_contact_sync after update on crm.customer
    for each row execute function crm.sync_customer_contact();
create or replace trigger customer_contact_delete after delete on crm.customer
    referencing old table as old_customers for each statement execute function crm.customer_contact_delete();
