"""verification/queries"""
