-- Every foreign key that references a customer, an order or a contact (crm.customer,
-- crm.sales_order, crm.interaction) has an index led by its columns (0062): reading "the rows of
-- this customer" (an export, an erasure, a merge, a policy) or deleting a parent row is then a
-- probe, not a scan of every unit's rows. A catalog walk, so a new table's key is held to it too.
begin;
select plan(2);

select is(array(select c.conrelid::regclass::text || ' (' || pg_get_constraintdef(c.oid) || ')'
                  from pg_constraint c
                 where c.contype = 'f' and c.connamespace = 'crm'::regnamespace
                   and c.confrelid in ('crm.customer'::regclass, 'crm.sales_order'::regclass, 'crm.interaction'::regclass)
                   and not exists (select 1 from pg_index i
                                    where i.indrelid = c.conrelid
                                      and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                                      and c.conkey @> (i.indkey::int2[])[0:cardinality(c.conkey) - 1])
                 order by 1),
          '{}'::text[], 'every foreign key to a customer, an order or a contact has an index led by its columns');

-- The export's read of an order's status history, as a plan: a probe of the new index.
insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000047a1', 'fk-index', 'FK index');
set local enable_seqscan = off;
create temporary table plan_text (line text) on commit drop;
do $$
declare r record;
begin
    for r in execute 'explain select * from crm.order_status_history s
                       where s.tenant_id = ''00000000-0000-0000-0000-0000000047a1'' and s.order_id = 1' loop
        insert into plan_text values (r."QUERY PLAN");
    end loop;
end $$;
select ok(exists (select 1 from plan_text where line ~ 'order_status_history_order'),
          'an order''s status history is read through (tenant_id, order_id)');

select * from finish();
rollback;
