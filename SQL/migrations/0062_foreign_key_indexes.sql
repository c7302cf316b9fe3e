-- Every foreign key to a customer, an order or a contact is backed by an index led by its columns
-- (issue "[3/7] Hot paths at the limit"). Without one, each read of "the rows of this customer
-- (order, contact)" in such a table was a scan of every unit's rows: a customer's export
-- (customers.export) read the status history of each of its orders by scanning the whole history
-- table (5-36 ms at 1M customers with 53,000 history rows, the seed writing none for its orders;
-- every order has at least one row in a real unit), and so did the shared-orders policy on that
-- table, the erasure (customers.erase: calls, surveys, leads, deals, customers merged into the
-- erased one) and a merge. PostgreSQL also scans the referencing table for each parent row
-- deleted or re-keyed. Partial where the column is optional, so rows without it cost nothing.
-- SQL/tests/47_foreign_key_indexes.sql holds the rule for every such key, present and future.
set local role crm_owner;

create index order_status_history_order on crm.order_status_history (tenant_id, order_id);
create index invoice_order on crm.invoice (tenant_id, order_id);
create index service_case_order on crm.service_case (tenant_id, order_id) where order_id is not null;
create index customer_merged_into on crm.customer (tenant_id, merged_into) where merged_into is not null;
create index customer_share_customer on crm.customer_share (tenant_id, customer_id) where customer_id is not null;
create index survey_response_customer on crm.survey_response (tenant_id, customer_id);
create index lead_customer on crm.lead (tenant_id, customer_id) where customer_id is not null;
create index deal_customer on crm.deal (tenant_id, customer_id) where customer_id is not null;
create index call_record_customer on crm.call_record (tenant_id, customer_id) where customer_id is not null;
create index call_record_interaction on crm.call_record (tenant_id, interaction_id) where interaction_id is not null;
create index quoted_price_interaction on crm.quoted_price (tenant_id, interaction_id);
