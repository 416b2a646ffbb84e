"""literature"""
