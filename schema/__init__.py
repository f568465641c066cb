"""The GraphQL layer: types, inputs, resolvers, loaders, permissions and the ASGI app."""
