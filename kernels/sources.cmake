# Kernel sources: LLM-style work with exact work models.
