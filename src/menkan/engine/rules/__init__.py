"""One evaluator module per requirement kind; `evaluate_node` dispatches on the node's kind."""
