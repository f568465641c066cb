"""S1's second reference on PostgreSQL: the whole orders page built by PostgreSQL in one
statement (json_build_object / json_agg over LATERAL subqueries, global ids, money strings,
ISO times and the cursor computed in SQL) and PostgreSQL's JSON text sent as the body. It is
what a GraphQL engine that compiles queries to one SQL statement does at best
(docs/architecture.md#measuring): the floor for the orders page's total CPU per request.
"""

from __future__ import annotations

from sqlalchemy import Connection


def _gid(type_name: str, column: str) -> str:
    """app/ids.py's global id: URL-safe base64 of "Type:pk" without padding."""
    raw = f"convert_to('{type_name}:' || {column}, 'UTF8')"
    return f"rtrim(translate(encode({raw}, 'base64'), E'+/\\n', '-_'), '=')"


def _iso(column: str) -> str:
    """datetime.isoformat() of an aware UTC time: zero microseconds left out."""
    return (f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
            "'.000000', '') || '+00:00'")


def _money(column: str, currency: str) -> str:
    return f"json_build_object('amount', round({column}, 2)::text, 'currency', {currency})"


def _cursor(created: str, pk: str) -> str:
    """app/persistence/pagination.py's encode_cursor([created_at, id]): padded URL-safe base64
    of the compact JSON array."""
    raw = f"convert_to('[\"' || {_iso(created)} || '\",' || {pk} || ']', 'UTF8')"
    return f"translate(encode({raw}, 'base64'), E'+/\\n', '-_')"


ORDERS_PAGE_SQL = f"""
WITH page AS (
  SELECT o.* FROM sales_order o ORDER BY o.created_at DESC, o.id DESC LIMIT %(probe)s
), shown AS (
  SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT %(first)s
), last_shown AS (
  SELECT created_at, id FROM shown ORDER BY created_at, id LIMIT 1
)
SELECT json_build_object('data', json_build_object('orders', json_build_object(
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) FROM page) > %(first)s,
    'endCursor', (SELECT {_cursor('created_at', 'id')} FROM last_shown)),
  'edges', coalesce((
    SELECT json_agg(json_build_object('node', json_build_object(
      'id', {_gid('Order', 's.id')}, 'number', s.number, 'status', s.status,
      'paymentStatus', s.payment_status, 'createdAt', {_iso('s.created_at')},
      'promisedDate', to_char(s.promised_date, 'YYYY-MM-DD'),
      'total', {_money('s.total', 's.currency')},
      'customer', (SELECT json_build_object('id', {_gid('Customer', 'c.id')}, 'name', c.name,
                                            'tier', c.tier)
                   FROM customer c WHERE c.id = s.customer_id),
      'lines', coalesce((
        SELECT json_agg(json_build_object(
          'id', {_gid('OrderLine', 'l.id')}, 'sku', l.sku, 'name', l.name,
          'quantity', l.quantity, 'quantityShipped', l.quantity_shipped,
          'lineTotal', {_money('l.line_total', 's.currency')},
          'product', json_build_object(
            'id', {_gid('Product', 'p.id')}, 'name', p.name,
            'stockLevels', coalesce((
              SELECT json_agg(json_build_object(
                'available', lv.on_hand - lv.reserved, 'onHand', lv.on_hand,
                'reserved', lv.reserved, 'warehouse', json_build_object(
                  'id', {_gid('Warehouse', 'w.id')}, 'code', w.code))
                ORDER BY lv.warehouse_id)
              FROM stock_level lv JOIN warehouse w ON w.id = lv.warehouse_id
              WHERE lv.product_id = p.id), '[]'::json)))
          ORDER BY l.id)
        FROM order_line l JOIN product p ON p.id = l.product_id
        WHERE l.order_id = s.id), '[]'::json),
      'shipments', coalesce((
        SELECT json_agg(json_build_object(
          'id', {_gid('Shipment', 'h.id')}, 'number', h.number, 'status', h.status,
          'trackingNumber', h.tracking_number, 'createdAt', {_iso('h.created_at')})
          ORDER BY h.created_at, h.id)
        FROM shipment h WHERE h.order_id = s.id), '[]'::json)))
      ORDER BY s.created_at DESC, s.id DESC)
    FROM shown s), '[]'::json))))::text
"""


def orders_page_json(conn: Connection, first: int) -> str:
    """The page's JSON text exactly as PostgreSQL wrote it."""
    return conn.exec_driver_sql(ORDERS_PAGE_SQL, {"first": first, "probe": first + 1}).scalar()
