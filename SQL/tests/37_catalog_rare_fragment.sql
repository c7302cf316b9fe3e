-- catalog.search by a rare fragment with a word every product holds (crm.search_catalog_keys,
-- 16_search_keys.sql): the trigram index is asked for the fragment's rarest word only, and the
-- whole fragment is checked on what it finds, so the answer stays "every granted product whose
-- text holds the fragment, as written" (% and _ are characters, not wildcards). A catalog of 200
-- "Widget item N" (the word "item" in nearly every product text of the statistics' sample), and
-- products that hold the rare word but not the fragment; figures worked by hand.
begin;
select plan(9);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000037a1', 'rare-a', 'A'), ('00000000-0000-0000-0000-0000000037b1', 'rare-b', 'B'),
    ('00000000-0000-0000-0000-0000000037c1', 'rare-c', 'C');
insert into crm.partner (id, slug, name) values ('00000000-0000-0000-0000-00000000370f', 'rare-p', 'P');
insert into crm.partner_grant (tenant_id, partner_id, product_groups) values
    ('00000000-0000-0000-0000-0000000037a1', '00000000-0000-0000-0000-00000000370f', null),
    ('00000000-0000-0000-0000-0000000037b1', '00000000-0000-0000-0000-00000000370f', '{pumps}');
insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost)
select '00000000-0000-0000-0000-0000000037a1', 'W' || n, 'Widget item ' || n, 'widgets', 10, 5 from generate_series(1, 200) n;
insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost) values
    ('00000000-0000-0000-0000-0000000037a1', 'M37', 'Widget model 37', 'widgets', 10, 5),     -- " 37", not "item 37"
    ('00000000-0000-0000-0000-0000000037a1', 'OFF', '50% off item 7', 'widgets', 10, 5),
    ('00000000-0000-0000-0000-0000000037a1', 'OFX', '50x off item 7', 'widgets', 10, 5),      -- no "%"
    ('00000000-0000-0000-0000-0000000037b1', 'BP37', 'Pump item 37', 'pumps', 10, 5),
    ('00000000-0000-0000-0000-0000000037b1', 'BC37', 'Chem item 37', 'chemicals', 10, 5),    -- group not granted
    ('00000000-0000-0000-0000-0000000037c1', 'CO37', 'Other item 37', 'widgets', 10, 5);     -- unit not granted
analyze crm.product;

select ok((select count(*) from pg_stats s, unnest(s.histogram_bounds::text::text[]) x
            where s.schemaname = 'crm' and s.tablename = 'product' and s.attname = 'search_text' and x like '%item%')
          > (select count(*) from pg_stats s, unnest(s.histogram_bounds::text::text[]) x
              where s.schemaname = 'crm' and s.tablename = 'product' and s.attname = 'search_text') / 2,
          'the statistics'' sample: "item" in most product texts');

create function pg_temp.skus(p_query text, p_unit text default null, p_after bigint default 0, p_limit int default 500)
    returns text[] language sql as $$
    select coalesce(array_agg(p.sku order by p.sku), '{}')
      from crm.search_catalog_keys(p_query, p_unit, null, false, p_after, p_limit) k
      join crm.product p on p.tenant_id = k.tenant_id and p.id = k.id $$;

set local role crm_partner;
select set_config('crm.partner_id', '00000000-0000-0000-0000-00000000370f', true);

select is(pg_temp.skus('item 37'), '{BP37,W37}',
    'item 37: W37 and B''s pump; not W137 ("item 137"), the model 37 (the rare word alone), the chemical or C''s');
select is(pg_temp.skus('Item 37'), '{BP37,W37}', 'the same in capitals');
select is(pg_temp.skus('item 37', 'rare-b'), '{BP37}', 'in unit B only: the pump');
select is(pg_temp.skus('50% off'), '{OFF}', '"50% off": the percent sign is a character (not 50x off)');
select is(pg_temp.skus('_tem 37'), '{}', 'an underscore is a character: "_tem 37" is in no product');
select is(pg_temp.skus('item 19'), '{W19,W190,W191,W192,W193,W194,W195,W196,W197,W198,W199}', 'item 19: eleven widgets');
select is((select count(*)::int from crm.search_catalog_keys('item', null, null, false, 0, 500)), 203,
    'a fragment in most products: all 203 granted ones (200 widgets, two offers, the pump)');
-- Pages: the first two of item 19 by id, then the rest after the second.
select is((select array_agg(k.id order by k.id) from crm.search_catalog_keys('item 19', null, null, false, 0, 2) k)
          || (select array_agg(k.id order by k.id) from crm.search_catalog_keys('item 19', null, null, false,
                (select max(k2.id) from crm.search_catalog_keys('item 19', null, null, false, 0, 2) k2), 500) k),
          (select array_agg(k.id order by k.id) from crm.search_catalog_keys('item 19', null, null, false, 0, 500) k),
    'paged by id: two, then the other nine after the second');

select * from finish();
rollback;
