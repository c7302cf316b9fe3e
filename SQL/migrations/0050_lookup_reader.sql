-- The caller lookup's own-unit reader (issue "[3/7] Hot paths at the limit"): customers.lookup
-- reads a dozen tables about one customer, and under crm_unit each of them carries the shared-read
-- policies (0009, 0049) besides the unit's own: their sub-selects (init plans and hashed sets over
-- the shares made to the unit) are set up by every execution of the statement's kept plan even
-- when they never run. That set-up was about half of a lookup.
--
-- When the number belongs to a customer of the caller's own unit (nearly always), the lookup reads
-- it as crm_lookup instead: a role that is no superuser, owner or BYPASSRLS, so row-level security
-- stays forced on it, and whose only policies are the unit's own rows, `tenant_id = (select
-- crm.current_tenant())`, read-only. It owns one function (crm.lookup_own_customer,
-- SQL/repeatable/35_customer_merge_lookup.sql), which also names the caller's unit in each
-- condition; it may read only the columns the lookup shows (no cost, no margin). A customer shared
-- with the unit by another one is still read as the caller, under all its policies.
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_lookup') then
        create role crm_lookup nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
end $$;
-- crm_owner creates and replaces the function and hands it to crm_lookup (as with crm_events).
grant crm_lookup to crm_owner;
alter default privileges for role crm_lookup revoke execute on functions from public;
grant usage on schema crm to crm_lookup;

set local role crm_owner;

-- The whole customer row (crm.customer_json takes the row); of the rest only what the lookup shows.
grant select on crm.customer to crm_lookup;
grant select on crm.customer_contact to crm_lookup;
grant select (id, settings) on crm.tenant to crm_lookup;
-- Whether any unit shares with the caller's (the view of 0049, run as its owner).
grant select on crm.shares_received to crm_lookup;
grant select (tenant_id, id, customer_id, status, ordered_at) on crm.sales_order to crm_lookup;
grant select (tenant_id, order_id, quantity, unit_price) on crm.order_line to crm_lookup;
grant select (tenant_id, customer_id, amount) on crm.invoice, crm.payment to crm_lookup;
grant select (tenant_id, customer_id, month, revenue) on crm.customer_month_summary to crm_lookup;
grant select (tenant_id, id, customer_id, channel, direction, occurred_at, outcome, summary) on crm.interaction to crm_lookup;
grant select (tenant_id, id, customer_id, product_id, price, quoted_at) on crm.quoted_price to crm_lookup;
grant select (tenant_id, id, customer_id, category, priority, status, subject, sla_due_at) on crm.service_case to crm_lookup;
grant select (tenant_id, id, customer_id, kind, due_at, note, done_at) on crm.task to crm_lookup;
grant select (tenant_id, customer_id, year, tier) on crm.customer_tier_snapshot to crm_lookup;

-- Its only policies: the caller's own unit, read-only (the same text as the units' own, 0009).
do $$
declare
    t text;
begin
    foreach t in array array['customer', 'customer_contact', 'sales_order', 'order_line', 'invoice', 'payment',
                             'customer_month_summary', 'interaction', 'quoted_price', 'service_case', 'task',
                             'customer_tier_snapshot'] loop
        execute format('create policy %I on crm.%I for select to crm_lookup using (tenant_id = (select crm.current_tenant()))',
                       'the caller lookup reads the caller''s own unit', t);
    end loop;
end $$;
-- The unit's country (for the number).
create policy "the caller lookup reads the caller's own unit" on crm.tenant for select to crm_lookup
    using (id = (select crm.current_tenant()));

-- The lookup's upcoming tasks (a customer's open tasks, the next five by due date) straight from one
-- index: with the customer's open tasks indexed without their date, a plan could walk the unit's
-- open tasks by date instead (task_due) and read ever more of them as the unit grows.
drop index crm.task_customer;
create index task_customer on crm.task (tenant_id, customer_id, due_at) where done_at is null;
