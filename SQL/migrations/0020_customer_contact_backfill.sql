-- 0016 filled crm.customer_contact from the existing customers as crm_owner, but row-level
-- security is forced on crm.customer for its owner too and no policy is the owner's, so that
-- backfill saw no customers: a database migrated with customers already in it had an empty
-- contact index (lookups and duplicate checks missed those customers). Fill it now, with the
-- force lifted for this transaction only (the ALTERs lock both tables until commit).
set local role crm_owner;

alter table crm.customer no force row level security;
alter table crm.customer_contact no force row level security;
insert into crm.customer_contact (tenant_id, kind, value, customer_id)
select c.tenant_id, 'phone', p, c.id from crm.customer c, unnest(c.phones) p where c.merged_into is null
union
select c.tenant_id, 'email', e, c.id from crm.customer c, unnest(c.emails) e where c.merged_into is null
on conflict do nothing;
alter table crm.customer force row level security;
alter table crm.customer_contact force row level security;
