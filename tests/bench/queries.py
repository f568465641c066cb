"""The GraphQL operations the benchmark sends (the baseline builds the same JSON)."""

ORDERS_PAGE = """
query BenchOrdersPage($first: Int!) {
  orders(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id number status paymentStatus createdAt promisedDate
        total { amount currency }
        customer { id name tier }
        lines {
          id sku name quantity quantityShipped
          lineTotal { amount currency }
          product {
            id name
            stockLevels { available onHand reserved warehouse { id code } }
          }
        }
        shipments { id number status trackingNumber createdAt }
      }
    }
  }
}
"""

ANALYST_DEEP = """
query BenchAnalystDeep($customers: Int!, $orders: Int!) {
  customers(first: $customers) {
    edges {
      node {
        id name tier region email phone
        purchaseSummary {
          orderCount lastOrderAt totalSpent { amount currency }
          topProducts { sku name quantity }
        }
        orders(first: $orders) {
          edges {
            node {
              id number status total { amount currency }
              lines { sku quantity lineTotal { amount currency } product { id name category } }
              shipments {
                number status carrier { name }
                trackingEvents { status location occurredAt }
              }
            }
          }
        }
      }
    }
  }
}
"""

# Within the depth limit, but 100 customers x 100 orders x lines x stock levels: refused by
# the cost estimate before any resolver runs.
OVER_BUDGET = """
query BenchOverBudget {
  customers(first: 100) {
    edges {
      node {
        name
        orders(first: 100) {
          edges {
            node {
              number
              lines { sku product { name stockLevels { available warehouse { code } } } }
            }
          }
        }
      }
    }
  }
}
"""
