"""Live events over graphql-transport-ws: transport, fan-out, resumable streams."""
