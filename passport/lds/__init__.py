"""ICAO Doc 9303-10 logical data structure: decoders and encoders of EF.COM, the data groups, EF.SOD,
EF.CardAccess and EF.CardSecurity. Each module decodes strictly (typed errors for malformed input) and
encodes what it decodes, for generated documents."""
