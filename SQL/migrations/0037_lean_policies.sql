-- Lean shared-read policies (issue 16). A unit reads its own rows plus, read-only, the rows that
-- hang off customers another unit shares with it (0004). Those policies called
-- crm.is_shared_customer(tenant_id, customer_id) on every row the own-unit test did not accept:
-- a security-definer function (settings saved and restored, a share lookup each time) whose cost
-- the planner cannot see, so a statement that did not pin tenant_id itself read every unit's rows
-- and called the function on each (2 leads imported into a unit of 21 contacts took 5.5 s next to
-- a unit of 300,000 customers: a sequential scan of 691,000 contact rows).
--
-- Now the shared arm is two things computed once per statement from crm.customer_share, which the
-- caller's own policy already lets it read (the shares made to its unit):
--   * `tenant_id = any (array(<units sharing all their customers with the caller>))`: an init
--     plan, a uuid array (usually empty); `= any` on uuid is leakproof and indexable;
--   * `(tenant_id, customer_id) in (<customers shared one by one with the caller>)`: an
--     uncorrelated sub-select, which the planner hashes once per statement (a hashed SubPlan),
--     then one hash probe per row.
-- No function is called per row; the only function left in these policies is crm.current_tenant(),
-- always as `(select crm.current_tenant())`, an init plan. The own-unit test comes first, so a
-- unit's own rows never reach the shared arm. SQL/tests/10_lean_policies.sql checks the meaning
-- (every table, revocation, read-only) and walks the catalog so that no policy calls a function
-- per row again.
--
-- Meaning kept exactly: the same tables (customer, its lifecycle history, contact details,
-- contacts, orders and their lines), SELECT only, for crm_unit and crm_viewer (98 keeps the
-- viewer in step anyway); reporters and partners keep their own policies. Service cases, tasks,
-- invoices, payments and rollups of a shared customer stay unread, as before (issue 18 will add
-- them: the same two-part arm, on each table's (tenant_id, customer_id) columns).
-- crm.is_shared_customer stays for callers outside policies; no policy uses it.
set local role crm_owner;

-- Customers: the row itself, keyed (tenant_id, id).
drop policy "unit users see customers shared with their unit" on crm.customer;
create policy "unit users see customers shared with their unit" on crm.customer for select to crm_unit, crm_viewer
    using (tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                   where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                     and s.customer_id is null))
           or (tenant_id, id) in (select s.tenant_id, s.customer_id from crm.customer_share s
                                   where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                     and s.customer_id is not null));

-- Tables keyed by (tenant_id, customer_id) with a shared-read policy of their own.
do $$
declare
    t record;
begin
    for t in select * from (values
                 ('customer_lifecycle_history', 'unit users see the lifecycle of customers shared with their unit'),
                 ('interaction', 'unit users see the contacts of customers shared with them'),
                 ('sales_order', 'unit users see the orders of customers shared with them')) as v(tab, policy) loop
        -- A name longer than 63 bytes was truncated when it was created; drop it under that name.
        execute format('drop policy %I on crm.%I', left(t.policy, 63), t.tab);
        execute format($f$create policy %I on crm.%I for select to crm_unit, crm_viewer
            using (tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                           where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                             and s.customer_id is null))
                   or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.customer_share s
                                                    where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                                      and s.customer_id is not null))$f$, left(t.policy, 63), t.tab);
    end loop;
end $$;

-- Contact details: own and shared in one policy (as 0016 had it).
drop policy "unit users see their own customers' contact details" on crm.customer_contact;
create policy "unit users see their own customers' contact details" on crm.customer_contact for select to crm_unit, crm_viewer
    using (tenant_id = (select crm.current_tenant())
           or tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                      where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                        and s.customer_id is null))
           or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.customer_share s
                                            where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                              and s.customer_id is not null));

-- Order lines carry no customer: the lines of a unit that shares all its customers, or of the
-- orders of customers shared one by one (one hashed set of (unit, order) per statement, read
-- through the orders' own policy). Before: a correlated EXISTS on the orders per line of another
-- unit, each calling crm.is_shared_customer. The old `tenant_id <> current unit` is implied: a
-- unit never shares with itself (customer_share's check).
drop policy "unit users see the lines of shared orders they can see" on crm.order_line;
create policy "unit users see the lines of shared orders they can see" on crm.order_line for select to crm_unit, crm_viewer
    using (tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                   where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                     and s.customer_id is null))
           or (tenant_id, order_id) in (select o.tenant_id, o.id
                                          from crm.customer_share s
                                          join crm.sales_order o on o.tenant_id = s.tenant_id and o.customer_id = s.customer_id
                                         where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                           and s.customer_id is not null));
