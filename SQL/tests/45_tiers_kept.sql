-- The scheduled job's tier work (crm.keep_customer_tiers): this year's snapshot refreshed, and
-- last year's made once when the unit has none, so that last year's tier page reads the snapshot
-- instead of ranking every customer live on each read. Dates are relative to now().
begin;
select plan(8);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000045a1', 'tiers-kept', 'Tiers kept');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000045a1', true), set_config('role', 'crm_unit', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Early Ed'), (crm.current_tenant(), 'Steady Sue'),
                                                  (crm.current_tenant(), 'Late Lou');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'T1', 'Item', 100.00, 40.00);
-- Two years ago: Ed 5 items, Sue 1 (the basis of last year's tiers); last year: Sue 2, Lou 4 (this year's).
select crm.create_order((select id from crm.customer where name = b.name), null, null,
       jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', b.quantity)),
       'confirmed', make_timestamptz(extract(year from now())::int - b.years_ago, 6, 1, 12, 0, 0, 'UTC'))
  from (values ('Early Ed', 5, 2), ('Steady Sue', 1, 2), ('Steady Sue', 2, 1), ('Late Lou', 4, 1)) b(name, quantity, years_ago);

select is(crm.keep_customer_tiers(), 2, 'this year''s tiers rank last year''s two buyers');
select is((select array_agg(s.year - extract(year from now())::int order by s.year) from (select distinct year from crm.customer_tier_snapshot) s),
          '{-1,0}'::int[], 'the unit had no snapshot of last year: it has one now, beside this year''s');
select is(array(select (r.customer_id, r.basis_gross_margin, r.tier, r.previous_tier)::text from report.customer_tier r
                 where r.year = extract(year from now())::int - 1 order by r.customer_id),
          array(select (r.customer_id, r.basis_gross_margin, r.tier, r.previous_tier)::text from report.customer_tiers(extract(year from now())::int - 1) r
                 order by r.customer_id),
          'last year''s snapshot is the live ranking of that year');
select ok((select bool_and(r.refreshed_at is not null)
             from crm.customer_tiers_page(extract(year from now())::int - 1, null, null, null, 10) r),
          'last year''s tier page reads the snapshot (refreshed_at set), not the live ranking');

-- Made once: a unit that has last year's snapshot is not ranked again for it every hour.
reset role;
delete from crm.customer_tier_snapshot
 where tenant_id = '00000000-0000-0000-0000-0000000045a1' and year = extract(year from now())::int - 1
   and customer_id = (select id from crm.customer where name = 'Steady Sue');
select set_config('role', 'crm_unit', true);
select is(crm.keep_customer_tiers(), 2, 'a second pass refreshes this year''s');
select is((select count(*)::int from crm.customer_tier_snapshot where year = extract(year from now())::int - 1), 1,
          'and leaves last year''s as it was');

-- Who may run it: the unit role (the job, managers through tasks.run_rules); an agent is refused
-- by the refresh it calls; no read-only role or PUBLIC may execute it.
select set_config('crm.principal_id', gen_random_uuid()::text, true), set_config('crm.app_role', 'agent', true);
select throws_ok($$select crm.keep_customer_tiers()$$, 'CR403', null, 'an agent cannot refresh tiers this way either');
reset role;
select ok(not has_function_privilege('crm_viewer', 'crm.keep_customer_tiers()', 'EXECUTE')
          and not has_function_privilege('crm_partner', 'crm.keep_customer_tiers()', 'EXECUTE')
          and not exists (select 1 from pg_proc p, aclexplode(p.proacl) a
                           where p.oid = 'crm.keep_customer_tiers()'::regprocedure and a.grantee = 0),
          'viewers, partners and PUBLIC cannot execute it');

select * from finish();
rollback;
