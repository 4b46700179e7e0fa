"""Runbooks as data: a schema-checked list of steps run with a journal, a lock and resume.

Article 23 (统一工单 at each key node: 入云, 上线, 变更, 退出), article 24 (入云安全测试 before a
system moves in), articles 1-2 (migration), 58-59 (exit). See ``engine.execute``.
"""
