"""commitments/queries"""
