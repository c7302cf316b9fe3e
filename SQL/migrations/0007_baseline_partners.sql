-- Baseline: partner relationship management: partner prices, deal registration with conflict
-- detection, lead offers that partners accept or decline in time, and what a partner may see. A
-- partner reads the products of every unit that granted it (no cost column: column privileges), its
-- own prices, deals, leads and offers, and nothing of any unit's customers or other partners. The
-- functions of this area live in SQL/repeatable/60_partner_grants.sql, 60_partner_deals.sql, 60_partner_lead_offers.sql and 59_deal_conflict.sql.
set local role crm_owner;

-- Products: partners read the margin-free columns of the products they were granted.
grant select (tenant_id, id, sku, name, description, product_group, list_price, active, warranty_months, support_contact,
              service_info, updated_at) on crm.product to crm_partner;

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

create sequence crm.deal_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.deal (
    tenant_id        uuid        not null references crm.tenant (id),
    id               bigint      not null default crm.opaque_id(nextval('crm.deal_id_seq')),
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
alter sequence crm.deal_id_seq owned by crm.deal.id;
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
create sequence crm.lead_offer_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.lead_offer (
    tenant_id    uuid        not null,
    id           bigint      not null default crm.opaque_id(nextval('crm.lead_offer_id_seq')),
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
alter sequence crm.lead_offer_id_seq owned by crm.lead_offer.id;
create index lead_offer_open on crm.lead_offer (tenant_id, expires_at) where response is null;
create index lead_offer_partner on crm.lead_offer (tenant_id, partner_id, offered_at);
create index lead_offer_lead on crm.lead_offer (tenant_id, lead_id);

grant select, insert, update, delete on crm.partner_price to crm_unit;
grant select, insert, update (status, decision_comment, decided_at, closed_at, customer_id, order_id, version) on crm.deal to crm_unit;
grant select, insert on crm.deal_product to crm_unit;
grant select, insert, update (responded_at, response, reason) on crm.lead_offer to crm_unit;
grant select on crm.partner_price, crm.deal, crm.deal_product, crm.lead_offer to crm_reporter;
grant usage on sequence crm.deal_id_seq, crm.lead_offer_id_seq to crm_unit;
select crm.add_unit_policies('crm.partner_price', 'partner prices', true);
select crm.add_unit_policies('crm.deal', 'deals', true);
select crm.add_unit_policies('crm.deal_product', 'deal products');
select crm.add_unit_policies('crm.lead_offer', 'lead offers', true);

-- What partners may read and write: their own rows in units that grant them (every partner
-- policy checks that the unit's grant is still active: after a unit revokes a partner, the
-- partner sees nothing more of it, and no row of it half-visible).
grant select on crm.partner_price to crm_partner;
create policy "partners see their own prices" on crm.partner_price for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

grant select (tenant_id, id, partner_id, prospect_name, prospect_email, prospect_phone, prospect_company, region, note, status,
              in_conflict, order_id, decision_comment, registered_at, decided_at, closed_at, version),
      insert (tenant_id, partner_id, prospect_name, prospect_email, prospect_phone, prospect_company, region, note, registered_by,
              conflict_deal_id)
    on crm.deal to crm_partner;
grant usage on sequence crm.deal_id_seq to crm_partner;
create policy "partners see their own deals in units that grant them" on crm.deal for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
create policy "partners register deals with units that granted them" on crm.deal for insert to crm_partner
    with check (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

grant select, insert on crm.deal_product to crm_partner;
create policy "partners see the products of their own deals in units that grant them" on crm.deal_product
    for select to crm_partner
    using (tenant_id = any ((select crm.partner_tenants())::uuid[])
           and exists (select 1 from crm.deal d where d.tenant_id = deal_product.tenant_id and d.id = deal_product.deal_id
                        and d.partner_id = (select crm.current_partner())));
-- A deal's product must be one the partner may see (the product policy: granted unit, granted
-- groups, active grant), not any id of the unit's catalog.
create policy "partners add products they may see to their own deals" on crm.deal_product for insert to crm_partner
    with check (tenant_id = any ((select crm.partner_tenants())::uuid[])
                and exists (select 1 from crm.deal d where d.tenant_id = deal_product.tenant_id and d.id = deal_product.deal_id
                             and d.partner_id = (select crm.current_partner()))
                and exists (select 1 from crm.product p where p.tenant_id = deal_product.tenant_id and p.id = deal_product.product_id));

grant select (tenant_id, id, campaign_id, name, email, phone, company, region, status, score, assigned_partner_id, assigned_at,
              version, created_at, updated_at),
      update (status, score, version, updated_at) on crm.lead to crm_partner;
create policy "partners see the leads given to them by units that grant them" on crm.lead for select to crm_partner
    using (assigned_partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
create policy "partners work the leads given to them by units that grant them" on crm.lead for update to crm_partner
    using (assigned_partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]))
    with check (assigned_partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

grant select, update (responded_at, response, reason) on crm.lead_offer to crm_partner;
create policy "partners see their own lead offers from units that grant them" on crm.lead_offer for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
create policy "partners answer their own lead offers from units that grant them" on crm.lead_offer for update to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]))
    with check (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

-- Conflict detection must look at other partners' deals, which no partner may read: the narrow
-- role crm_dealcheck owns the one function that does (SQL/repeatable/59_deal_conflict.sql), reads
-- these columns (and the unit's window and the caller's grant, 0002), and answers only whether
-- (and which deal, for the unit) conflicts.
grant select (tenant_id, id, partner_id, prospect_email, prospect_phone, prospect_company, status, registered_at) on crm.deal to crm_dealcheck;
grant select (tenant_id, deal_id, product_id) on crm.deal_product to crm_dealcheck;

comment on table crm.partner_price is 'A unit''s price list for a partner: the price it pays per product (otherwise list price less the grant''s discount).';
comment on table crm.deal is 'Deals registered by partners for a prospect and products; conflicts with another partner''s registration within the unit''s window are flagged; approved deals become quotes, won when the order is confirmed.';
comment on table crm.lead_offer is 'Leads offered to partners: accepted or declined within the unit''s time limit (lead_offer_hours), or expired and offered to the next partner.';
