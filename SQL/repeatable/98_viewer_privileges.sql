-- A unit's viewers (app role `viewer`) run as crm_viewer (0001_baseline_roles_schemas.sql): they read what unit users read and
-- write nothing. Applied on every migrate, after every other file, so that the viewer keeps up
-- with crm_unit whatever a later migration grants or adds:
--   * SELECT on every table and view crm_unit may read, table-wide or column by column, and on
--     nothing else; never INSERT, UPDATE, DELETE or TRUNCATE;
--   * every read policy (SELECT or ALL) that applies to crm_unit applies to crm_viewer too;
--   * EXECUTE on the functions the read methods call (below), none that writes.
-- SQL/tests/07_viewer_and_revocation.sql checks each of these.
set local role crm_owner;

do $$
declare
    r record;
begin
    -- Table-wide SELECT: as crm_unit has it.
    for r in
        select c.oid::regclass as rel,
               exists (select 1 from aclexplode(c.relacl) a
                        where a.grantee = 'crm_unit'::regrole and a.privilege_type = 'SELECT') as unit_reads,
               exists (select 1 from aclexplode(c.relacl) a
                        where a.grantee = 'crm_viewer'::regrole and a.privilege_type = 'SELECT') as viewer_reads
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname in ('crm', 'report') and c.relkind in ('r', 'p', 'v', 'm', 'f')
    loop
        if r.unit_reads and not r.viewer_reads then
            execute format('grant select on %s to crm_viewer', r.rel);
        elsif r.viewer_reads and not r.unit_reads then
            execute format('revoke select on %s from crm_viewer', r.rel);
        end if;
        -- Never a write, whatever a grant to PUBLIC or a mistake once gave.
        execute format('revoke insert, update, delete, truncate, references, trigger on %s from crm_viewer', r.rel);
    end loop;
    -- Column SELECT: as crm_unit has it.
    for r in
        select a.attrelid::regclass as rel, a.attname,
               exists (select 1 from aclexplode(a.attacl) x
                        where x.grantee = 'crm_unit'::regrole and x.privilege_type = 'SELECT') as unit_reads,
               exists (select 1 from aclexplode(a.attacl) x
                        where x.grantee = 'crm_viewer'::regrole and x.privilege_type = 'SELECT') as viewer_reads
          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
         where n.nspname in ('crm', 'report') and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
           and a.attacl is not null
    loop
        if r.unit_reads and not r.viewer_reads then
            execute format('grant select (%I) on %s to crm_viewer', r.attname, r.rel);
        elsif r.viewer_reads and not r.unit_reads then
            execute format('revoke select (%I) on %s from crm_viewer', r.attname, r.rel);
        end if;
    end loop;
    -- Read policies: crm_unit's apply to crm_viewer as well (ALTER POLICY replaces the role list).
    for r in
        select p.schemaname, p.tablename, p.policyname, p.roles
          from pg_policies p
         where p.schemaname in ('crm', 'report') and p.cmd in ('SELECT', 'ALL')
           and 'crm_unit' = any (p.roles) and not 'crm_viewer' = any (p.roles)
    loop
        execute format('alter policy %I on %I.%I to %s', r.policyname, r.schemaname, r.tablename,
                       (select string_agg(quote_ident(x), ', ') from unnest(r.roles || array['crm_viewer'::name]) x));
    end loop;
end $$;

-- What the read methods call (customers.get/list/search/lookup, orders.get/list, cases.list,
-- interactions.list, leads.get/list, campaigns.get/list, partners.list, deals.list/get,
-- products.*, staff.list, tasks.list_due, reports.*), what those functions call, and what the
-- policies and views a viewer reads call. Nothing that writes; no refresh.
grant execute on function
    crm.enter_request(uuid), crm.current_tenant(), crm.tenant_of_slug_setting(), crm.current_partner(),
    crm.current_principal(), crm.current_app_role(),
    crm.visible_tenants(), crm.is_shared_customer(uuid, bigint),
    crm.normalize_email(text), crm.normalize_phone(text, text), crm.is_sale(text),
    crm.product_tier(numeric, numeric), crm.product_tier_of(jsonb, numeric, numeric),
    crm.unit_slug(uuid), crm.customer_json(crm.customer), crm.get_customer_json(bigint), crm.get_customer(bigint), crm.customer_balance(uuid, bigint), crm.customer_capture_phase(crm.customer),
    crm.lookup_customer(text), crm.lookup_own_customer(text), crm.lookup_shared_customer(text), crm.order_json(bigint),
    crm.order_json_of(crm.sales_order, json, numeric), crm.order_line_json(crm.order_line),
    crm.case_json(bigint), crm.interaction_json(bigint), crm.interaction_json_of(crm.interaction, json),
    crm.lead_json(bigint), crm.campaign_json(bigint), crm.campaign_missing_approvals(bigint), crm.campaign_approvers(text),
    crm.partner_grant_json(uuid), crm.deal_json(uuid, bigint), crm.unit_deal_json(uuid, bigint),
    report.rfm(date, text), report.rfm_kept(date), report.rfm_from_orders(date, text), report.rfm_monetary_value(numeric, numeric, int),
    report.customer_tier_ranking(int), report.customer_tiers(int)
    to crm_viewer;

-- The customer search runs as its own narrow role; its owner grants it (as the migrating superuser).
reset role;
grant execute on function crm.search_customer_keys(text, bigint, int) to crm_viewer;
