-- Baseline: customers of a business unit, their lifecycle history, sharing on purpose with another
-- unit, the contact index and the customer tier snapshot. The functions of this area live in
-- SQL/repeatable (15_customer_sharing.sql, 16_search_keys.sql, 19_customer_contact_index.sql,
-- 20_customers_api.sql, ...).
set local role crm_owner;

create sequence crm.customer_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.customer (
    tenant_id       uuid        not null references crm.tenant (id),
    id              bigint      not null default crm.opaque_id(nextval('crm.customer_id_seq')),
    name            text        not null check (length(name) between 1 and 200),
    emails          text[]      not null default '{}',   -- lower-case
    phones          text[]      not null default '{}',   -- E.164, e.g. +49301234567
    address         jsonb,                               -- street, city, postcode, country
    company         text,
    branch          text,                                -- branch or store
    segment         text,
    consent         jsonb       not null default '{}',   -- per channel: {"phone": true, "email": false}
    preferences     jsonb       not null default '{}',   -- room type, favourite seat, hobbies, ...
    lifecycle_stage text        not null default 'prospect'
        check (lifecycle_stage in ('prospect', 'acquired', 'active', 'retained', 'loyal', 'lapsed')),
    version         int         not null default 1,
    merged_into     bigint,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    -- One lower-cased text of name, emails and phones, trigram-indexed: a search by any fragment is
    -- one index scan (run by crm.search_customer_keys, since LIKE under RLS could use no index).
    search_text     text        generated always as
        (lower(name) || ' ' || crm.join_text(emails) || ' ' || crm.join_text(phones)) stored,
    idempotency_key text,
    primary key (tenant_id, id),
    foreign key (tenant_id, merged_into) references crm.customer (tenant_id, id)
);
alter sequence crm.customer_id_seq owned by crm.customer.id;
comment on table crm.customer is 'A business unit''s customer; phones in E.164, emails lower-case.';
comment on column crm.customer.idempotency_key is 'The key of the customers.create request that made the row; a retry with it returns this customer.';

create sequence crm.customer_lifecycle_history_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.customer_lifecycle_history (
    tenant_id   uuid        not null,
    id          bigint      not null default crm.opaque_id(nextval('crm.customer_lifecycle_history_id_seq')),
    customer_id bigint      not null,
    stage       text        not null,
    at          timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
alter sequence crm.customer_lifecycle_history_id_seq owned by crm.customer_lifecycle_history.id;

-- No GIN index on emails or phones: under RLS array containment is not leakproof, so no index
-- could serve it ahead of a policy; lookups go through crm.customer_contact (below).
create index customer_stage on crm.customer (tenant_id, lifecycle_stage);
create index customer_search_trgm on crm.customer using gin (search_text gin_trgm_ops);
-- Goals on new customers count a unit's customers created in a period.
create index customer_created on crm.customer (tenant_id, created_at);
create unique index customer_idempotency on crm.customer (tenant_id, idempotency_key) where idempotency_key is not null;
create index customer_lifecycle_history_customer on crm.customer_lifecycle_history (tenant_id, customer_id, at);

-- Sharing on purpose: a unit shares one customer, or all its customers, read-only with another
-- unit (a hotel chain's branches sharing one guest record). Audited and revocable. The tables that
-- hang off a customer (lifecycle, contact details, contacts, orders and their lines) read the
-- shares in their shared-read policy.
create sequence crm.customer_share_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.customer_share (
    tenant_id   uuid        not null references crm.tenant (id),   -- the unit that owns the customer
    id          bigint      not null default crm.opaque_id(nextval('crm.customer_share_id_seq')),
    customer_id bigint,                                             -- null: every customer of the unit
    shared_with uuid        not null references crm.tenant (id),
    granted_at  timestamptz not null default now(),
    granted_by  uuid,
    revoked_at  timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    check (shared_with <> tenant_id)
);
alter sequence crm.customer_share_id_seq owned by crm.customer_share.id;
create index customer_share_receiver on crm.customer_share (shared_with, tenant_id) where revoked_at is null;

-- The contact index: phones and emails as rows. Row-level security lets the planner use an index
-- before the policy only for leakproof operators: text equality is one, array containment is not,
-- so lookups and duplicate checks go through here. It is an index the database keeps, not data
-- anyone writes: only the triggers on crm.customer write it, as crm_contactindex, from the
-- customer rows themselves (SQL/repeatable/19_customer_contact_index.sql), so every row names a
-- customer by construction and needs no per-row foreign-key check. The primary key starts with the
-- value, which is how every lookup probes it; the second index serves the triggers' delete.
create table crm.customer_contact (
    tenant_id   uuid   not null,
    kind        text   not null check (kind in ('phone', 'email')),
    value       text   not null,
    customer_id bigint not null,
    primary key (value, kind, tenant_id, customer_id)
);
create index customer_contact_customer on crm.customer_contact (tenant_id, customer_id);

-- Each customer's tier for a year, as report.customer_tiers(year) computed it: ranking a whole
-- unit's customers by margin is too slow for a report that pages or for the caller lookup, so the
-- scheduled job refreshes this cache (crm.refresh_customer_tiers) and readers take one row.
create table crm.customer_tier_snapshot (
    tenant_id          uuid        not null,
    customer_id        bigint      not null,
    year               int         not null,
    tier               text        not null,
    previous_tier      text,
    refreshed_at       timestamptz not null default now(),
    basis_gross_margin numeric     not null,
    share_before       numeric,
    primary key (tenant_id, customer_id, year),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
create index customer_tier_snapshot_rank on crm.customer_tier_snapshot (tenant_id, year, basis_gross_margin desc, customer_id desc);
comment on table crm.customer_tier_snapshot is 'Customer tiers per year as report.customer_tiers(year) computed them at refreshed_at; kept by crm.refresh_customer_tiers (the scheduled job, hourly by default) and read by report.customer_tier, the caller lookup and the visit rule.';

alter table crm.customer enable row level security;
alter table crm.customer force row level security;
alter table crm.customer_lifecycle_history enable row level security;
alter table crm.customer_lifecycle_history force row level security;
alter table crm.customer_share enable row level security;
alter table crm.customer_share force row level security;
alter table crm.customer_contact enable row level security;
alter table crm.customer_contact force row level security;
alter table crm.customer_tier_snapshot enable row level security;
alter table crm.customer_tier_snapshot force row level security;

grant select, insert, update on crm.customer to crm_unit;
grant select, insert on crm.customer_lifecycle_history to crm_unit;
grant select, insert, update (revoked_at) on crm.customer_share to crm_unit;
grant select on crm.customer_contact to crm_unit;
grant select, insert, update, delete on crm.customer_tier_snapshot to crm_unit;
grant usage on sequence crm.customer_id_seq, crm.customer_lifecycle_history_id_seq, crm.customer_share_id_seq to crm_unit;
grant select on crm.customer, crm.customer_lifecycle_history, crm.customer_share, crm.customer_contact,
    crm.customer_tier_snapshot to crm_reporter;
grant select (tenant_id, id, search_text, merged_into) on crm.customer to crm_search;
grant select, insert, delete on crm.customer_contact to crm_contactindex;

-- The standard policies of these tables: 0009_baseline_unit_policies.sql.

-- The share table's RLS is forced, so the owner's security-definer functions need a policy too.
create policy "the owner's functions read every share" on crm.customer_share for select to crm_owner using (true);
create policy "unit users see the shares of their own unit and those made to it" on crm.customer_share
    for select to crm_unit
    using (tenant_id = (select crm.current_tenant()) or shared_with = (select crm.current_tenant()));

-- The contact index is written only by its triggers (the read policies: 0009).
create policy "the contact index's triggers write it" on crm.customer_contact for all to crm_contactindex
    using (true) with check (true);
