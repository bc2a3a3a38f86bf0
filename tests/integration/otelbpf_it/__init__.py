"""Harness for otelbpf's integration tests: start real servers, clients, the agent and an
independent OTLP receiver on 127.0.0.1, then look at the spans that come out."""
