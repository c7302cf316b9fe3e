-- Partner relationship management: partner prices, deal registration with conflict detection,
-- lead offers that partners accept or decline in time, and what a partner may see. A partner
-- reads the products of every unit that granted it (no cost column: column privileges), its own
-- prices, deals, leads and offers, and nothing of any unit's customers or other partners.
-- The narrow role for conflict detection (see below); creating it needs the migrating superuser.
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_dealcheck') then
        create role crm_dealcheck nologin bypassrls nosuperuser nocreaterole nocreatedb;
    end if;
end $$;

set local role crm_owner;

-- The units that granted the caller (a partner). Policies call it once per statement.
create function crm.partner_tenants() returns uuid[] language sql stable as $$
    select coalesce(array_agg(g.tenant_id), '{}') from crm.partner_grant g
     where g.partner_id = crm.current_partner() and g.revoked_at is null
$$;
grant execute on function crm.partner_tenants() to crm_partner, crm_unit, crm_reporter;

-- Products: partners read the margin-free columns of the products they were granted.
grant select (tenant_id, id, sku, name, description, product_group, list_price, active, warranty_months, support_contact,
              service_info, updated_at) on crm.product to crm_partner;
-- The catalog pages by product id across units.
create index product_catalog_order on crm.product (id);

-- An EXISTS the planner turns into a hash semi-join: 30 ms over 100,000 products, where a
-- per-row function over the grants as JSON took 320 ms.
create policy "partners see the products of units that granted them" on crm.product for select to crm_partner
    using (exists (select 1 from crm.partner_grant g
                    where g.tenant_id = product.tenant_id and g.partner_id = (select crm.current_partner())
                      and g.revoked_at is null and g.may_see_products
                      and (g.product_groups is null or product.product_group = any (g.product_groups))));

create table crm.partner_price (
    tenant_id  uuid          not null,
    partner_id uuid          not null references crm.partner (id),
    product_id bigint        not null,
    price      numeric(12,2) not null check (price >= 0),
    updated_at timestamptz   not null default now(),
    primary key (tenant_id, partner_id, product_id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id),
    foreign key (tenant_id, partner_id) references crm.partner_grant (tenant_id, partner_id)
);

create table crm.deal (
    tenant_id        uuid        not null references crm.tenant (id),
    id               bigint      generated always as identity,
    partner_id       uuid        not null references crm.partner (id),
    prospect_name    text        not null check (length(prospect_name) between 1 and 200),
    prospect_email   text,
    prospect_phone   text,
    prospect_company text,
    region           text,
    note             text,
    status           text        not null default 'registered'
        check (status in ('registered', 'approved', 'rejected', 'won', 'lost')),
    conflict_deal_id bigint,                -- the other partner's deal: for the unit's eyes only
    in_conflict      boolean     generated always as (conflict_deal_id is not null) stored,
    customer_id      bigint,
    order_id         bigint,
    decision_comment text,
    registered_by    uuid,
    registered_at    timestamptz not null default now(),
    decided_at       timestamptz,
    closed_at        timestamptz,
    version          int         not null default 1,
    primary key (tenant_id, id),
    foreign key (tenant_id, partner_id) references crm.partner_grant (tenant_id, partner_id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    check (prospect_email is not null or prospect_phone is not null or prospect_company is not null)
);
create index deal_partner on crm.deal (tenant_id, partner_id, registered_at);
create index deal_email on crm.deal (tenant_id, prospect_email) where prospect_email is not null;
create index deal_phone on crm.deal (tenant_id, prospect_phone) where prospect_phone is not null;
create index deal_company on crm.deal (tenant_id, lower(prospect_company)) where prospect_company is not null;
create index deal_order on crm.deal (tenant_id, order_id) where order_id is not null;

create table crm.deal_product (
    tenant_id  uuid          not null,
    deal_id    bigint        not null,
    product_id bigint        not null,
    quantity   numeric(12,3) not null check (quantity > 0),
    primary key (tenant_id, deal_id, product_id),
    foreign key (tenant_id, deal_id) references crm.deal (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);

-- A lead offered to a partner, accepted or declined by it, or expired and offered to the next.
create table crm.lead_offer (
    tenant_id    uuid        not null,
    id           bigint      generated always as identity,
    lead_id      bigint      not null,
    partner_id   uuid        not null references crm.partner (id),
    offered_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    responded_at timestamptz,
    response     text        check (response in ('accepted', 'declined', 'expired')),
    reason       text,
    primary key (tenant_id, id),
    foreign key (tenant_id, lead_id) references crm.lead (tenant_id, id)
);
create index lead_offer_open on crm.lead_offer (tenant_id, expires_at) where response is null;
create index lead_offer_partner on crm.lead_offer (tenant_id, partner_id, offered_at);
create index lead_offer_lead on crm.lead_offer (tenant_id, lead_id);

grant select, insert, update, delete on crm.partner_price to crm_unit;
grant select, insert, update (status, decision_comment, decided_at, closed_at, customer_id, order_id, version) on crm.deal to crm_unit;
grant select, insert on crm.deal_product to crm_unit;
grant select, insert, update (responded_at, response, reason) on crm.lead_offer to crm_unit;
grant update (partner_id) on crm.sales_order to crm_unit;
grant select on crm.partner_price, crm.deal, crm.deal_product, crm.lead_offer to crm_reporter;
select crm.add_unit_policies('crm.partner_price', 'partner prices', true);
select crm.add_unit_policies('crm.deal', 'deals', true);
select crm.add_unit_policies('crm.deal_product', 'deal products');
select crm.add_unit_policies('crm.lead_offer', 'lead offers', true);
create policy "unit users remove their own partner prices" on crm.partner_price for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));

-- What partners may read and write: their own rows in units that granted them.
grant select on crm.partner_price to crm_partner;
create policy "partners see their own prices" on crm.partner_price for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

grant select (tenant_id, id, partner_id, prospect_name, prospect_email, prospect_phone, prospect_company, region, note, status,
              in_conflict, order_id, decision_comment, registered_at, decided_at, closed_at, version),
      insert (tenant_id, partner_id, prospect_name, prospect_email, prospect_phone, prospect_company, region, note, registered_by,
              conflict_deal_id)
    on crm.deal to crm_partner;
create policy "partners see their own deals" on crm.deal for select to crm_partner
    using (partner_id = (select crm.current_partner()));
create policy "partners register deals with units that granted them" on crm.deal for insert to crm_partner
    with check (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

grant select, insert on crm.deal_product to crm_partner;
create policy "partners see the products of their own deals" on crm.deal_product for select to crm_partner
    using (exists (select 1 from crm.deal d where d.tenant_id = deal_product.tenant_id and d.id = deal_product.deal_id
                    and d.partner_id = (select crm.current_partner())));
create policy "partners add products to their own deals" on crm.deal_product for insert to crm_partner
    with check (exists (select 1 from crm.deal d where d.tenant_id = deal_product.tenant_id and d.id = deal_product.deal_id
                         and d.partner_id = (select crm.current_partner())));

grant select (tenant_id, id, campaign_id, name, email, phone, company, region, status, score, assigned_partner_id, assigned_at,
              version, created_at, updated_at),
      update (status, score, version, updated_at) on crm.lead to crm_partner;
create policy "partners see the leads given to them" on crm.lead for select to crm_partner
    using (assigned_partner_id = (select crm.current_partner()));
create policy "partners work the leads given to them" on crm.lead for update to crm_partner
    using (assigned_partner_id = (select crm.current_partner()))
    with check (assigned_partner_id = (select crm.current_partner()));

grant select, update (responded_at, response, reason) on crm.lead_offer to crm_partner;
create policy "partners see their own lead offers" on crm.lead_offer for select to crm_partner
    using (partner_id = (select crm.current_partner()));
create policy "partners answer their own lead offers" on crm.lead_offer for update to crm_partner
    using (partner_id = (select crm.current_partner())) with check (partner_id = (select crm.current_partner()));

-- The sales credited to a partner (its scorecard shows their revenue and margin).
grant select on crm.sales_day_summary to crm_partner;
create policy "partners see the sales credited to them" on crm.sales_day_summary for select to crm_partner
    using (partner_id = (select crm.current_partner()));

-- Conflict detection must look at other partners' deals, which no partner may read: a narrow
-- role that bypasses row-level security owns the one function that does, reads five columns,
-- and answers only whether (and which deal, for the unit) conflicts.
grant usage on schema crm to crm_dealcheck;
grant select (tenant_id, id, partner_id, prospect_email, prospect_phone, prospect_company, status, registered_at) on crm.deal to crm_dealcheck;
grant select (tenant_id, deal_id, product_id) on crm.deal_product to crm_dealcheck;
grant select (id, settings) on crm.tenant to crm_dealcheck;

create function crm.find_deal_conflict(p_tenant uuid, p_partner uuid, p_deal bigint, p_email text, p_phone text, p_company text,
                                       p_products bigint[]) returns bigint
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select d.id from crm.deal d
     where d.tenant_id = p_tenant and d.partner_id <> p_partner and d.id <> p_deal
       and d.status in ('registered', 'approved', 'won')
       and d.registered_at > now() - make_interval(days => coalesce((select (t.settings->>'deal_conflict_days')::int
                                                                     from crm.tenant t where t.id = p_tenant), 90))
       and ((p_email is not null and d.prospect_email = p_email) or (p_phone is not null and d.prospect_phone = p_phone)
            or (p_company is not null and lower(d.prospect_company) = lower(p_company)))
       and exists (select 1 from crm.deal_product x where x.tenant_id = d.tenant_id and x.deal_id = d.id and x.product_id = any(p_products))
     order by d.registered_at
     limit 1
$$;
reset role;
alter function crm.find_deal_conflict(uuid, uuid, bigint, text, text, text, bigint[]) owner to crm_dealcheck;
revoke execute on function crm.find_deal_conflict(uuid, uuid, bigint, text, text, text, bigint[]) from public;
grant execute on function crm.find_deal_conflict(uuid, uuid, bigint, text, text, text, bigint[]) to crm_partner;

comment on table crm.partner_price is 'A unit''s price list for a partner: the price it pays per product (otherwise list price less the grant''s discount).';
comment on table crm.deal is 'Deals registered by partners for a prospect and products; conflicts with another partner''s registration within the unit''s window are flagged; approved deals become quotes, won when the order is confirmed.';
comment on table crm.lead_offer is 'Leads offered to partners: accepted or declined within the unit''s time limit (lead_offer_hours), or expired and offered to the next partner.';
